"""The API's pictures: each variant of an uploaded picture as a URL with its size.

A picture resolves from its variants as stored (``images.models.Image.variants``, or the same
dict carried by a chat broadcast): each variant's storage name, width, height and format. The
URL is the storage's, made absolute on the host the client called when the storage gives a
path (the local file system); a name always holds the same bytes, so clients may cache each
URL for as long as they like.
"""

import graphene
from django.conf import settings

from graphql_server.cache_policy import cache_policy
from images.services import url_of
from images.variants import CONTENT_TYPES, PURPOSES, Format, Purpose, Variant


def absolute_url(url: str, context) -> str:
    """``url`` as a client can load it: the storage's absolute URL as it is; a path (the local
    file system's /media/…) on PUBLIC_BASE_URL when that is set, so that every answer names the
    same host, else on the host the client called."""
    if url.startswith("/") and not url.startswith("//") and settings.PUBLIC_BASE_URL:
        return f"{settings.PUBLIC_BASE_URL}{url}"
    return context.build_absolute_uri(url)


class ImageVariantType(graphene.ObjectType):
    """One size of a picture."""

    class Meta:
        name = "ImageVariant"

    url = graphene.String(
        required=True,
        description="Where to load it. The same URL always holds the same picture: cache it.",
    )
    width = graphene.Int(required=True, description="In pixels.")
    height = graphene.Int(required=True, description="In pixels.")
    mime_type = graphene.String(required=True, description="image/webp or image/jpeg.")

    @staticmethod
    def resolve_url(root, info):
        return absolute_url(url_of(root["name"]), info.context)

    @staticmethod
    def resolve_width(root, info):
        return root["width"]

    @staticmethod
    def resolve_height(root, info):
        return root["height"]

    @staticmethod
    def resolve_mime_type(root, info):
        return CONTENT_TYPES[Format(root["format"])]


def _variant_field(purpose: Purpose, variant: Variant, use: str) -> graphene.Field:
    spec = next(spec for spec in PURPOSES[purpose].variants if spec.variant == variant)
    if PURPOSES[purpose].square:
        size = f"{spec.box}×{spec.box} pixels at most (smaller when the upload was)"
    else:
        size = f"At most {spec.box} pixels on its longer side, in the upload's proportions"
    kind = "JPEG" if spec.format == Format.JPEG else "WebP"
    return graphene.Field(
        ImageVariantType,
        required=True,
        description=f"{size}; {kind}. {use}",
        resolver=lambda root, info: root[variant.value],
    )


class EventImageType(graphene.ObjectType):
    """The picture an event's office uploaded, in the sizes a phone shows it in."""

    class Meta:
        name = "EventImage"

    thumbnail = _variant_field(Purpose.EVENT, Variant.THUMBNAIL, "For a list's rows.")
    card = _variant_field(Purpose.EVENT, Variant.CARD, "For a card as wide as the screen.")
    full = _variant_field(Purpose.EVENT, Variant.FULL, "For the event's page and zooming in.")
    share = _variant_field(
        Purpose.EVENT,
        Variant.SHARE,
        "For link previews: every messenger and social site reads JPEG.",
    )


class AvatarType(graphene.ObjectType):
    """A person's picture, cut square (shown in a circle)."""

    class Meta:
        name = "Avatar"

    thumbnail = _variant_field(Purpose.AVATAR, Variant.THUMBNAIL, "Beside a chat message.")
    full = _variant_field(Purpose.AVATAR, Variant.FULL, "On the profile.")


# What the response cache may keep of these types (graphql_server.cache_policy): a picture's
# variants never change (a new picture is a new row), so these fields show only what the
# field that returns the picture shows, and are kept as that field is.
CACHE_POLICIES = (
    cache_policy(ImageVariantType, public=("url", "width", "height", "mimeType")),
    cache_policy(EventImageType, public=("thumbnail", "card", "full", "share")),
    cache_policy(AvatarType, public=("thumbnail", "full")),
)
