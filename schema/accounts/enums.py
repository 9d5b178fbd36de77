"""The accounts part of the API's enums, each built from the domain's."""

import graphene

from accounts.models import Device

DevicePlatform = graphene.Enum.from_enum(Device.Platform, name="DevicePlatform")
