"""HTML routes for accounts, one module per topic: `entry` (sign-in and out, registration, password
reset), `profile` (the member's own account), `invitations` and `admin` (the administrators' user
list). Each parses the form, calls the service, and redirects or re-renders the form with the
messages beside the fields and the input kept."""

from fastapi import APIRouter

from app.accounts import permissions
from app.accounts.countries import country_choices, country_name
from app.accounts.pages import admin, entry, invitations, profile
from app.web import template_globals

template_globals(permissions=permissions, country_choices=country_choices, country_name=country_name)

router = APIRouter()
router.include_router(entry.router)
router.include_router(profile.router)
router.include_router(invitations.router)
router.include_router(admin.router)
