"""Two people with the same picture: one removes it while the other uploads it. Pictures are
stored once by content, and a picture let go is deleted after the commit, row first, then its
files (images.services). An upload of the same picture that lands between the two (its row
made anew, the files already there, then deleted under it) must not be left pointing at files
that are gone. On PostgreSQL the same with the upload and the deletion on two connections at
once: the deletion waits for the upload's commit (the picture's lock), then keeps the files."""

import io
import threading

import pytest
from django.db import connection, transaction

from accounts import services as accounts
from images import services
from tests.factories import UserFactory
from tests.waiting import eventually_sync

from . import pictures


def avatar_upload(colour=(200, 40, 40)):
    return io.BytesIO(pictures.png(300, 300, colour=colour))


@pytest.mark.django_db(transaction=True)
def test_an_upload_between_a_release_and_its_file_deletion_keeps_its_files(media_root, monkeypatch):
    yerlan, xenia = UserFactory(), UserFactory()
    accounts.set_avatar(yerlan, avatar_upload())

    # Yerlan removes his avatar: once that commits, the picture's row is deleted, and once
    # that commits, its files. Xenia's upload of the very same picture lands in between: the
    # row is gone, so hers makes it anew; the files of the same name are still there.
    delete_files = services.delete_files

    def files_deleted_after_an_upload(names):
        accounts.set_avatar(xenia, avatar_upload())
        delete_files(names)

    monkeypatch.setattr(services, "delete_files", files_deleted_after_an_upload)
    with transaction.atomic():
        accounts.remove_avatar(yerlan)
    monkeypatch.setattr(services, "delete_files", delete_files)

    xenia.refresh_from_db()
    assert xenia.avatar is not None
    missing = [name for name in xenia.avatar.storage_names() if not (media_root / name).exists()]
    assert missing == []


def _closing(call):
    """``call`` run in a thread of its own, its database connection closed at the end."""

    def run():
        try:
            call()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _a_lock_is_waited_for() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        return cursor.fetchone()[0] > 0


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_file_deletion_waits_for_an_upload_of_the_same_picture_to_commit(media_root, monkeypatch):
    yerlan, xenia = UserFactory(), UserFactory()
    accounts.set_avatar(yerlan, avatar_upload())
    stored, commit = threading.Event(), threading.Event()

    def xenia_uploads():
        # Her upload has made the row anew and written the files, and has not committed.
        with transaction.atomic():
            accounts.set_avatar(xenia, avatar_upload())
            stored.set()
            assert commit.wait(10)

    delete_files = services.delete_files

    def files_deleted_while_an_upload_is_open(names):
        upload = _closing(xenia_uploads)
        assert stored.wait(10)
        # Given Yerlan's picture let go (its row deleted), its files are deleted on another
        # connection while Xenia's upload of the same picture is open: the deletion waits...
        deletion = _closing(lambda: delete_files(names))
        eventually_sync(_a_lock_is_waited_for)
        # ...until her upload commits, and then finds her row naming the files.
        commit.set()
        upload.join(10)
        deletion.join(10)
        assert not upload.is_alive() and not deletion.is_alive()

    monkeypatch.setattr(services, "delete_files", files_deleted_while_an_upload_is_open)
    with transaction.atomic():
        accounts.remove_avatar(yerlan)
    monkeypatch.setattr(services, "delete_files", delete_files)

    xenia.refresh_from_db()
    assert xenia.avatar is not None
    missing = [name for name in xenia.avatar.storage_names() if not (media_root / name).exists()]
    assert missing == []
