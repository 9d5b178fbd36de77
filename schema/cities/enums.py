"""The cities part of the API's enums, each built from the domain's."""

import graphene

from cities.models import OfficeMembership, Twinning

TwinningKind = graphene.Enum.from_enum(
    Twinning.Kind, name="TwinningKind", description="What kind of link a twinning is."
)
TwinningStatus = graphene.Enum.from_enum(
    Twinning.Status, name="TwinningStatus", description="Where a twinning stands."
)
OfficeRole = graphene.Enum.from_enum(
    OfficeMembership.Role, name="OfficeRole", description="A role in a city office."
)
