"""The share admin's columns and read-only fields: status, dates, sizes, history, file fate.

Each says what a click would meet or what will happen, in words staff act on; a missing
file wins over "Active", since a click then gets "no longer available", not the file.
"""

from datetime import timedelta

from django.contrib import admin
from django.db.models import Count, Q
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sharelinks import people, retention
from sharelinks.admin.inlines import RECORDS_SHOWN
from sharelinks.conf import app_settings
from sharelinks.models import ClickOutcome, Share, ShareStatus

FILE_FATES = {
    "kept": _("Kept: the app never deletes an object that staff shared by its key."),
    "deleted": _(
        "Deleted on %(date)s, %(retention)s after the last share of it ended. Upload it "
        "again to share it."
    ),
    "waiting": _(
        "Uploaded through the app: deleted %(retention)s after the last share of it ends, "
        "on %(date)s if nothing changes."
    ),
    "due": _(
        "Uploaded through the app: deleted on %(date)s, %(retention)s after the last share of "
        "it ended, unless a share of it is extended or reinstated before then."
    ),
}


def duration_text(length: timedelta) -> str:
    """30 days, 36 hours: a retention as staff read it."""
    if length.total_seconds() % 86400 == 0:
        days = length.days
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    hours = int(length.total_seconds() // 3600)
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}


# A badge has to fit a narrow column; its title keeps the full wording.
_BADGE_TEXT = {ShareStatus.EXHAUSTED: _("Limit reached")}


class ShareColumnsMixin:
    """Display methods of ShareAdmin, for the list and the change page."""

    @admin.display(description=_("views and downloads"))
    def activity(self, share: Share) -> str:
        """Page views (never counted) apart from downloads, with scanners named apart.

        From the click log, so it covers what the log still keeps (CLICK_RETENTION_DAYS).
        """
        counts = share.clicks.aggregate(
            views=Count("pk", filter=Q(outcome=ClickOutcome.VIEWED)),
            scanners=Count("pk", filter=Q(outcome=ClickOutcome.VIEWED, scanner=True)),
            downloads=Count("pk", filter=Q(outcome=ClickOutcome.REDIRECTED)),
            resumed=Count("pk", filter=Q(outcome=ClickOutcome.RESUMED)),
        )
        text = _(
            "%(views)d page views (%(scanners)d by mail scanners or link previews), "
            "%(downloads)d downloads, %(resumed)d resumed downloads (not counted)"
        )
        # format_html, not +: a str plus the summary's safe markup would be escaped as text.
        return format_html("{}{}", text % counts, self._people_summary(share))

    def _people_summary(self, share: Share) -> str:
        """ "2 of 3 have downloaded", with the reminder button and the CSV, when sent to people."""
        summary = people.people_summary(share)
        if not summary["people"]:
            return ""
        remind = reverse("admin:sharelinks_share_remind", args=[share.pk])
        csv_url = reverse("admin:sharelinks_share_people_csv", args=[share.pk])
        return format_html(
            '<br>{} <button type="submit" class="button" formmethod="post" formaction="{}">{}'
            '</button> <a href="{}">{}</a>',
            _("%(downloaded)d of %(people)d have downloaded.") % summary,
            remind, _("Remind those who have not"), csv_url, _("Who downloaded when (CSV)"),
        )  # fmt: skip

    @admin.display(description=_("clicks"))
    def clicks_count(self, share: Share) -> str:
        """All clicks ever logged; the log below lists only the latest RECORDS_SHOWN."""
        count = share.clicks.count()
        if count <= RECORDS_SHOWN:
            return str(count)
        return _("%(count)d (the latest %(shown)d are listed below)") % {
            "count": count,
            "shown": RECORDS_SHOWN,
        }

    @admin.display(description=_("status"))
    def status_badge(self, share: Share) -> str:
        """The status a click would meet; a missing file wins over "Active", since a click
        on such a share gets "no longer available", not the file."""
        status = share.status
        if status == ShareStatus.ACTIVE and share.missing_since is not None:
            return format_html(
                '<span class="sharelink-status sharelink-status-missing" title="{}">{}</span>',
                _("Its file is missing from storage: clicks get “no longer available”."),
                _("File missing"),
            )
        return format_html(
            '<span class="sharelink-status sharelink-status-{}" title="{}">{}</span>',
            status.value,
            status.label,
            _BADGE_TEXT.get(status, status.label),
        )

    @admin.display(description=_("downloads"), ordering="download_count")
    def downloads(self, share: Share) -> str:
        limit = "∞" if share.max_downloads is None else share.max_downloads
        return f"{share.download_count} / {limit}"

    @admin.display(description=_("expires"), ordering="expires_at")
    def expires(self, share: Share) -> str:
        """Date and time on two lines, so the column stays narrow; one line on a phone."""
        local = timezone.localtime(share.expires_at)
        return format_html(
            '<span class="nowrap">{}</span> <br class="sharelink-break">'
            '<span class="nowrap">{}</span>',
            date_format(local, "DATE_FORMAT"),
            time_format(local, "TIME_FORMAT"),
        )

    @admin.display(description=_("created"), ordering="created_at")
    def created_on(self, share: Share) -> str:
        """The day only: the time is on the share's page, and the column stays narrow."""
        return date_format(timezone.localtime(share.created_at), "DATE_FORMAT")

    @admin.display(description=_("file in storage"))
    def file_fate(self, share: Share) -> str:
        """Whether and when the app deletes the file (sharelinks.retention), in words."""
        fate = retention.file_fate(share)
        keep = duration_text(app_settings.UPLOAD_RETENTION)
        when = date_format(timezone.localtime(fate.when), "DATE_FORMAT") if fate.when else ""
        return FILE_FATES[fate.kind] % {"date": when, "retention": keep}

    @admin.display(description=_("size"), ordering="size")
    def size_display(self, share: Share) -> str:
        return filesizeformat(share.size) if share.size is not None else self.empty_value_display
