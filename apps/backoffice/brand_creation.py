"""Creating a brand from the platform's backoffice: asked for in a form, run by a task on the
global queue, followed on a page.

``brand_creation_request`` validates and records the request (the first staff member's password
only as its hash) and queues ``backoffice.brand_creation_run``. ``brand_creation_run`` runs the
steps with the same service as ``manage.py create_brand`` (``brand_create``: the brand's schema,
its migrations, its domain, as the tables' owner) and then makes the first staff member, a brand
admin with a TOTP device. Each step says itself as it begins (``brand_creation_step``: a key in the
cache, since the schema's steps run in one transaction nobody else sees until it commits); the
row says where the run ended. Running it again (a retry after a failure, a redelivered task)
redoes only what is missing: a brand of the slug is not created twice, nor its staff member.
The otpauth:// URI of the staff member's device is kept until the requester has seen it once.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django_tenants.utils import schema_context

from apps.backoffice.models import BrandCreation
from apps.backoffice.roles import BRAND_ADMIN, role_group
from apps.backoffice.staff.services import staff_totp_enrol
from apps.brands.models import Brand
from apps.brands.services import BrandError, brand_create
from shards.database_roles import owner_connections
from shards.map import GLOBAL_ALIAS

log = logging.getLogger(__name__)

STEP_TTL_S = 3600


class CreationRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _step_key(creation_id: int) -> str:
    return f"brand-creation:{creation_id}:step"


def brand_creation_step(*, creation: BrandCreation) -> str:
    """The step the run is at: the cache's (told as it begins) or the row's."""
    if creation.status in (BrandCreation.Status.DONE, BrandCreation.Status.FAILED):
        return creation.step
    return cache.get(_step_key(creation.pk)) or creation.step


def brand_creation_request(
    *,
    slug: str,
    name: str,
    domain: str,
    currency: str,
    staff_username: str,
    staff_email: str,
    staff_password: str,
    requested_by: str,
) -> BrandCreation:
    """Record the request and queue its run. Refused (CreationRefused) when a brand or a
    request of this slug exists already."""
    if Brand.objects.filter(slug=slug).exists():
        raise CreationRefused("duplicate_slug", f"a brand with slug {slug!r} already exists")
    with transaction.atomic(using=GLOBAL_ALIAS):
        if BrandCreation.objects.select_for_update().filter(slug=slug).exists():
            raise CreationRefused("duplicate_slug", f"brand {slug!r} was asked for already")
        creation = BrandCreation.objects.create(
            slug=slug,
            name=name,
            domain=domain,
            currency=currency,
            staff_username=staff_username,
            staff_email=staff_email,
            staff_password=make_password(staff_password),
            requested_by=requested_by,
        )
        transaction.on_commit(lambda: brand_creation_queue(creation=creation), using=GLOBAL_ALIAS)
    return creation


TASK = "backoffice.brand_creation_run"


def brand_creation_queue(*, creation: BrandCreation) -> None:
    """Send the run to the global workers (by the task's name: ``apps.backoffice.tasks``)."""
    current_app.send_task(TASK, kwargs={"creation_id": creation.pk})


def brand_creation_retry(*, creation_id: int) -> BrandCreation:
    """Queue a failed run again (it redoes only what is missing)."""
    with transaction.atomic(using=GLOBAL_ALIAS):
        creation = BrandCreation.objects.select_for_update().get(pk=creation_id)
        if creation.status != BrandCreation.Status.FAILED:
            raise CreationRefused("not_failed", f"this creation is {creation.status}")
        creation.status = BrandCreation.Status.QUEUED
        creation.error_code = creation.error = ""
        creation.save(update_fields=["status", "error_code", "error", "updated_at"])
        transaction.on_commit(lambda: brand_creation_queue(creation=creation), using=GLOBAL_ALIAS)
    return creation


def _mark(creation: BrandCreation, **fields) -> None:
    for name, value in fields.items():
        setattr(creation, name, value)
    creation.save(update_fields=[*fields, "updated_at"])


def brand_creation_run(*, creation_id: int) -> BrandCreation:
    """Run (or finish) the creation's steps; the row records success or the failure."""
    creation = BrandCreation.objects.get(pk=creation_id)
    if creation.status == BrandCreation.Status.DONE:
        return creation
    _mark(creation, status=BrandCreation.Status.RUNNING)

    def progress(step: str) -> None:
        cache.set(_step_key(creation.pk), step, STEP_TTL_S)

    try:
        brand = Brand.objects.filter(slug=creation.slug).first()
        if brand is None:
            with owner_connections():
                brand = brand_create(
                    slug=creation.slug,
                    name=creation.name,
                    domains=[creation.domain],
                    currency=creation.currency,
                    progress=progress,
                )
        _mark(creation, step="staff", brand_id=brand.pk)
        progress("staff")
        otpauth = _first_staff(creation, brand)
        if otpauth:
            _mark(creation, otpauth=otpauth)
    except BrandError as exc:
        _mark(
            creation,
            status=BrandCreation.Status.FAILED,
            step=cache.get(_step_key(creation.pk)) or creation.step,
            error_code=exc.code,
            error=str(exc),
        )
        return creation
    except Exception as exc:  # the page says it failed and why; the log has the rest
        log.exception("brand creation %s failed", creation.slug)
        _mark(
            creation,
            status=BrandCreation.Status.FAILED,
            step=cache.get(_step_key(creation.pk)) or creation.step,
            error_code="internal",
            error=f"{type(exc).__name__}: {exc}"[:500],
        )
        return creation
    _mark(creation, status=BrandCreation.Status.DONE, step="done")
    cache.delete(_step_key(creation.pk))
    return creation


def _first_staff(creation: BrandCreation, brand: Brand) -> str:
    """The brand admin asked for, with a TOTP device; the device's URI when one was enrolled
    now (a run again after its URI was shown enrols none)."""
    with schema_context(brand.schema_name):
        user = User.objects.filter(username=creation.staff_username).first()
        if user is None:
            user = User(
                username=creation.staff_username,
                email=creation.staff_email,
                is_staff=True,
                password=creation.staff_password,
            )
            user.save()
            user.groups.add(role_group(BRAND_ADMIN))
        if creation.otpauth_shown:
            return ""
        # Not shown yet: a device enrolled by an earlier run is replaced (its URI may be lost).
        return staff_totp_enrol(user=user, replace=True).config_url


def brand_creation_reveal(*, creation: BrandCreation) -> str:
    """The first staff member's otpauth:// URI, once: it is forgotten as it is returned."""
    with transaction.atomic(using=GLOBAL_ALIAS):
        locked = BrandCreation.objects.select_for_update().get(pk=creation.pk)
        uri = locked.otpauth
        if uri:
            locked.otpauth = ""
            locked.otpauth_shown = True
            locked.save(update_fields=["otpauth", "otpauth_shown", "updated_at"])
    return uri
