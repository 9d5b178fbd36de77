"""Two people with the same picture: one removes it while the other uploads it. Pictures are
stored once by content, and a picture let go is deleted after the commit, row first, then its
files (images.services). An upload of the same picture that lands between the two (its row
made anew, the files already there, then deleted under it) must not be left pointing at files
that are gone."""

import io

import pytest
from django.db import transaction

from accounts import services as accounts
from images import services
from tests.factories import UserFactory

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
