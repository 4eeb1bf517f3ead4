"""What the digest e-mail says ("Accusé de traitement"): one e-mail per account and slot, the
decisions of the family's requests since the previous slot.

``services.notifications.digests`` decides who gets which notices and sends; this module only
writes the e-mail from the notices it is given, with what is read once per run (the portal
page, its link to "Mes demandes", the renderer).
"""

from django.utils import formats
from django.utils.translation import gettext, ngettext

from .. import conf
from ..models.bookings import BookingLine, line_state_label
from . import kinds
from .rendering import EmailRenderer, Table, account_values, days_headers, email_address


def decision_label(state: str) -> str:
    """A decision on a whole request (a change to the family file)."""
    return {
        BookingLine.State.ACCEPTED: gettext("accepted"),
        BookingLine.State.REFUSED: gettext("refused"),
        BookingLine.State.WAITING_LIST: gettext("waiting list"),
    }.get(state, state)


class DigestWriter:
    """Writes the digest e-mails of one site: what is loaded once per run."""

    def __init__(self, site):
        from ..models import FamilyPortalPage

        self.site = site
        self.renderer = EmailRenderer(site)
        page = FamilyPortalPage.for_site(site)
        self.portal_url = page.get_full_url() if page else ""
        self.requests_route = (
            page.reverse_subpage("requests_list", kwargs={"family_id": 0}) if page else ""
        )
        self.tz = conf.time_zone()
        self.domain = site.hostname if site else "localhost"
        self.headers = days_headers(decision=True)

    def link(self, family_id: int) -> str:
        if not self.portal_url:
            return ""
        route = self.requests_route.replace("/0/", f"/{family_id}/", 1)
        return self.portal_url.rstrip("/") + "/" + route.lstrip("/")

    def row(self, notice) -> tuple:
        from ..models import Request

        request = notice.request
        line = notice.line
        if line is None:
            decision = decision_label(notice.decision)
            moment = request.created_at.astimezone(self.tz)
            return (
                formats.date_format(moment.date(), "d/m/Y"),
                moment.strftime("%H:%M"),
                Request.Topic(request.topic).label if request.topic else request.summary,
                "",
                request.summary,
                decision,
            )
        activity = line.activity
        # The day's state in the words of the planning and of "Mes demandes".
        decision = line_state_label(line.operation, notice.decision)
        operation = (
            gettext("Booking")
            if line.operation == BookingLine.Operation.BOOKING
            else gettext("Absence")
        )
        return (
            formats.date_format(line.date, "d/m/Y"),
            activity.start_time.strftime("%H:%M") if activity.start_time else "",
            operation,
            f"{line.child.first_name} {line.child.last_name}",
            activity.name,
            decision,
        )

    def email(self, delivery, notices):
        """The e-mail of ``delivery`` (a ``DigestDelivery``) telling ``notices``, or None when
        the account has no address."""
        user = delivery.user
        address = email_address(user)
        if not address:
            return None
        count = len(notices)
        slot = delivery.slot.astimezone(self.tz)
        messages, seen = [], set()
        for notice in notices:
            key = (notice.request_id, notice.message)
            if notice.message and key not in seen:
                seen.add(key)
                messages.append((notice.request.summary, notice.message))
        values = {
            **account_values(user),
            "portal_url": self.portal_url,
            "family_name": delivery.family.name,
            "count": count,
            "summary": ngettext(
                "%(count)d of your requests has been processed:",
                "%(count)d of your requests have been processed:",
                count,
            )
            % {"count": count},
            "slot_date": formats.date_format(slot.date(), "d/m/Y"),
            "slot_time": slot.strftime("%H:%M"),
        }
        return self.renderer.render(
            kinds.DIGEST.key,
            to=address,
            values=values,
            action_url=self.link(delivery.family_id),
            table=Table(self.headers, [self.row(notice) for notice in notices]),
            messages=messages,
            headers={"Message-ID": f"<digest-{delivery.pk}@{self.domain}>"},
        )
