"""Avatars: uploaded by the app as a GraphQL multipart request (as Apollo's upload clients send
it), checked and resized, shown on the viewer and beside their chat messages, removed; and
every bad upload answered with a code, nothing stored."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from graphql_relay import to_global_id
from PIL import Image

from accounts.models import User
from core.ratelimit import Rate
from images.models import Image as StoredImage
from tests.conftest import bearer_for
from tests.factories import ChatMessageFactory
from tests.images import pictures
from tests.s3_bucket import free_port, s3_options

UPLOAD = """
mutation ($file: Upload!) {
  avatarUpload(file: $file) {
    viewer { avatar {
      thumbnail { url width height mimeType }
      full { url width height mimeType }
    } }
    errors { field code message }
  }
}
"""
REMOVE = (
    "mutation { avatarRemove { viewer { avatar { full { url } } } errors { field code message } } }"
)
ME = "{ me { avatar { thumbnail { url width height } } } }"
CHAT = """
query ($event: ID!) {
  event(id: $event) { chatMessages(last: 5) { edges { node {
    body author { displayName avatar { thumbnail { url width } full { url } } }
  } } } }
}
"""


def upload(client, user, data: bytes, *, name="me.jpg", content_type="image/jpeg", document=UPLOAD):
    """``document`` with ``data`` as ``$file``, as apollo-upload-client sends it: the
    operations, the map, then the file part."""
    response = client.post(
        "/graphql/",
        {
            "operations": json.dumps({"query": document, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
            "0": SimpleUploadedFile(name, data, content_type),
        },
        HTTP_AUTHORIZATION=f"Bearer {bearer_for(user)}",
    )
    return response


def stored_files(media_root) -> list:
    return sorted(path for path in media_root.rglob("*") if path.is_file())


@pytest.fixture
def ada(user_factory):
    return user_factory(display_name="Ada")


def test_an_upload_becomes_the_viewers_avatar(client, ada, media_root):
    # Given a portrait photo with its GPS position in its EXIF
    photo = pictures.photo(600, 900)

    response = upload(client, ada, photo)

    # Then the viewer has an avatar in two square sizes, as absolute URLs
    assert response.status_code == 200
    payload = response.json()["data"]["avatarUpload"]
    assert payload["errors"] == []
    avatar = payload["viewer"]["avatar"]
    assert (avatar["thumbnail"]["width"], avatar["thumbnail"]["height"]) == (128, 128)
    assert (avatar["full"]["width"], avatar["full"]["height"]) == (512, 512)
    assert avatar["full"]["mimeType"] == "image/webp"
    assert avatar["full"]["url"].startswith("http://testserver/media/images/")
    # And the file behind the URL is that size, and says nothing of where it was taken
    name = avatar["full"]["url"].removeprefix("http://testserver/media/")
    with Image.open(media_root / name) as stored:
        assert stored.size == (512, 512) and not stored.getexif()
    assert pictures.SECRET_PLACE.encode() not in (media_root / name).read_bytes()
    # And `me` reads it back
    ada.refresh_from_db()
    assert ada.avatar is not None
    again = client.post(
        "/graphql/",
        json.dumps({"query": ME}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {bearer_for(ada)}",
    )
    assert again.json()["data"]["me"]["avatar"]["thumbnail"]["url"] == (avatar["thumbnail"]["url"])


def test_a_new_avatar_replaces_the_old_one_whose_files_go_after_the_commit(
    client, ada, media_root, committing
):
    with committing():
        upload(client, ada, pictures.png(200, 200, colour=(200, 0, 0)))
    first = stored_files(media_root)
    assert len(first) == 2

    with committing():
        response = upload(client, ada, pictures.png(200, 200, colour=(0, 0, 200)))

    assert response.json()["data"]["avatarUpload"]["errors"] == []
    now = stored_files(media_root)
    assert len(now) == 2 and not set(first) & set(now)
    assert StoredImage.objects.count() == 1


def test_removing_the_avatar_removes_its_files(client, ada, media_root, committing):
    with committing():
        upload(client, ada, pictures.png(200, 200))

    with committing():
        response = client.post(
            "/graphql/",
            json.dumps({"query": REMOVE}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {bearer_for(ada)}",
        )
    assert response.json()["data"]["avatarRemove"] == {"viewer": {"avatar": None}, "errors": []}
    assert stored_files(media_root) == []
    assert not StoredImage.objects.exists()

    # And again: nothing to remove, nothing wrong
    again = client.post(
        "/graphql/",
        json.dumps({"query": REMOVE}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {bearer_for(ada)}",
    )
    assert again.json()["data"]["avatarRemove"]["errors"] == []


def test_the_chat_shows_the_authors_avatar(client, ada, media_root, event_factory, committing):
    # Given Ada with an avatar, and Bo without, in an open chat
    upload(client, ada, pictures.png(300, 300))
    bo = User.objects.create_user("bo@example.org", display_name="Bo")
    now = timezone.now()
    event = event_factory(starts_at=now, ends_at=now + timezone.timedelta(hours=2))
    ChatMessageFactory(event=event, author=User.objects.get(pk=ada.pk), body="Hello")
    ChatMessageFactory(event=event, author=bo, body="Hi")

    response = client.post(
        "/graphql/",
        json.dumps({"query": CHAT, "variables": {"event": to_global_id("Event", event.pk)}}),
        content_type="application/json",
    )

    edges = response.json()["data"]["event"]["chatMessages"]["edges"]
    authors = {edge["node"]["body"]: edge["node"]["author"] for edge in edges}
    assert authors["Hi"] == {"displayName": "Bo", "avatar": None}
    shown = authors["Hello"]["avatar"]
    assert shown["thumbnail"]["width"] == 128
    assert shown["thumbnail"]["url"].startswith("http://testserver/media/images/")
    assert shown["full"]["url"].endswith("-full.webp")


def test_urls_start_with_the_public_base_url_when_it_is_set(client, ada, media_root, settings):
    settings.PUBLIC_BASE_URL = "https://twinning.example.org"

    response = upload(client, ada, pictures.png(200, 200))

    url = response.json()["data"]["avatarUpload"]["viewer"]["avatar"]["full"]["url"]
    assert url.startswith("https://twinning.example.org/media/images/")


# --- Bad uploads -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "content_type", "code"),
    [
        (b"I am a letter.", "me.jpg", "image/jpeg", "NOT_AN_IMAGE"),
        (b"%PDF-1.7 not a picture", "me.png", "image/png", "NOT_AN_IMAGE"),
        (pictures.photo(400, 300)[:2000], "me.jpg", "image/jpeg", "IMAGE_CORRUPT"),
        (pictures.png_claiming(30_000, 30_000), "me.png", "image/png", "IMAGE_TOO_MANY_PIXELS"),
        (pictures.decompression_bomb(), "me.png", "image/png", "IMAGE_TOO_MANY_PIXELS"),
        (pictures.heic_header(), "me.heic", "image/heic", "IMAGE_TYPE_UNSUPPORTED"),
        (pictures.SVG, "me.svg", "image/svg+xml", "IMAGE_TYPE_UNSUPPORTED"),
        (b"", "me.jpg", "image/jpeg", "IMAGE_REQUIRED"),
    ],
    ids=["text", "pdf", "truncated", "header-bomb", "bomb", "heic", "svg", "empty"],
)
def test_a_bad_upload_is_refused_with_its_code_and_nothing_is_stored(
    client, ada, media_root, data, name, content_type, code
):
    response = upload(client, ada, data, name=name, content_type=content_type)

    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    [error] = body["data"]["avatarUpload"]["errors"]
    assert (error["field"], error["code"]) == ("file", code)
    assert error["message"]
    assert body["data"]["avatarUpload"]["viewer"] is None
    ada.refresh_from_db()
    assert ada.avatar is None
    assert not StoredImage.objects.exists()
    assert stored_files(media_root) == []


def test_a_picture_declared_as_something_else_is_taken_for_what_it_is(client, ada, media_root):
    # Apollo Kotlin sends application/octet-stream unless told otherwise
    response = upload(client, ada, pictures.png(100, 100), name="blob", content_type="text/plain")
    assert response.json()["data"]["avatarUpload"]["errors"] == []


def test_a_file_over_the_pictures_limit_is_refused_with_its_code(client, ada, media_root, settings):
    settings.IMAGE_MAX_BYTES = 2_000

    response = upload(client, ada, pictures.photo(400, 300, quality=95))

    [error] = response.json()["data"]["avatarUpload"]["errors"]
    assert (error["field"], error["code"]) == ("file", "IMAGE_TOO_LARGE")
    assert stored_files(media_root) == []


def test_a_request_over_the_upload_limit_is_refused_unread(client, ada, media_root, settings):
    settings.GRAPHQL_MAX_UPLOAD_BYTES = 2_000
    settings.GRAPHQL_MAX_BODY_BYTES = 1_000

    response = upload(client, ada, pictures.photo(400, 300, quality=95))

    assert response.status_code == 413
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert stored_files(media_root) == []


def test_a_file_sent_in_json_is_refused_with_a_code(client, ada, media_root):
    for value in ("data:image/png;base64,iVBORw0KGgo=", {"name": "me.jpg"}, 7):
        response = client.post(
            "/graphql/",
            json.dumps({"query": UPLOAD, "variables": {"file": value}}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {bearer_for(ada)}",
        )
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] == "INVALID_VARIABLES", body
        assert "multipart" in body["errors"][0]["message"]
    # Nor can a file be written in the document itself
    literal = 'mutation { avatarUpload(file: "me.jpg") { errors { code } } }'
    response = client.post(
        "/graphql/",
        json.dumps({"query": literal}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {bearer_for(ada)}",
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert stored_files(media_root) == []


def test_a_bucket_out_of_reach_is_an_outage_and_nothing_is_kept(client, ada, settings, caplog):
    # Given a bucket whose server does not answer (nothing listens on its port)
    from botocore.config import Config

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_options(
                f"http://127.0.0.1:{free_port()}",
                client_config=Config(
                    s3={"addressing_style": "path"}, connect_timeout=1, retries={"max_attempts": 1}
                ),
            ),
        },
    }

    response = upload(client, ada, pictures.png(100, 100))

    # Then the app is told to try again, as for any outage, and no row names missing files
    assert response.status_code == 200
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE", body
    assert body["data"] == {"avatarUpload": None}
    ada.refresh_from_db()
    assert ada.avatar is None and not StoredImage.objects.exists()
    # And what failed was reaching the bucket
    [failure] = [r for r in caplog.records if r.getMessage() == "The pictures' storage failed"]
    assert failure.exc_info[0].__name__ == "EndpointConnectionError"


def test_uploads_have_a_rate_limit_of_their_own(client, ada, media_root, settings):
    settings.RATE_LIMIT_UPLOADS_USER = Rate.parse("2/h")

    answers = [upload(client, ada, pictures.png(60, 60, colour=(n, 0, 0))).json() for n in range(3)]

    assert [a["data"]["avatarUpload"]["errors"] for a in answers[:2]] == [[], []]
    assert answers[2]["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert answers[2]["errors"][0]["extensions"]["retryAfter"] > 0
    # The third picture was not looked at, nor stored (the first is still there: nothing here
    # commits, so the replaced one is not deleted)
    assert StoredImage.objects.count() == 2


def test_deleting_the_account_deletes_the_avatar_and_the_export_names_it(
    client, ada, media_root, committing
):
    from accounts import deletion
    from accounts.export import export_account

    with committing():
        upload(client, ada, pictures.png(200, 200))
    ada = User.objects.get(pk=ada.pk)
    profile = export_account(ada)["sections"]["profile"]
    assert profile["avatarVariants"]["FULL"]["width"] == 200

    with committing():
        deletion.delete_account(ada, signed_in_at=timezone.now())

    assert stored_files(media_root) == [] and not StoredImage.objects.exists()
