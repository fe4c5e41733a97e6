"""Numbered, append-only schema steps. Never edit a step that has shipped."""

from sqlite_utils import Migrations

from storage.migrations import (
    m0001_initial,
    m0002_federation,
    m0003_client_api,
    m0004_more_notifications,
    m0005_inbox_retry,
    m0006_session_version,
    m0007_follow_notify,
    m0008_sessions,
    m0009_federation_queues,
    m0010_remote_context,
    m0011_moderation,
    m0012_reports,
    m0013_mail,
    m0014_oidc,
    m0015_second_factor,
    m0016_enrolment_per_login,
    m0017_media,
    m0018_topic_reads,
    m0019_subscriptions,
    m0020_writing,
    m0021_finding,
    m0022_redactions,
)

MIGRATIONS = Migrations("meent")
MIGRATIONS(name="0001_initial")(m0001_initial.apply)
MIGRATIONS(name="0002_federation")(m0002_federation.apply)
MIGRATIONS(name="0003_client_api")(m0003_client_api.apply)
MIGRATIONS(name="0004_more_notifications")(m0004_more_notifications.apply)
MIGRATIONS(name="0005_inbox_retry")(m0005_inbox_retry.apply)
MIGRATIONS(name="0006_session_version")(m0006_session_version.apply)
MIGRATIONS(name="0007_follow_notify")(m0007_follow_notify.apply)
MIGRATIONS(name="0008_sessions")(m0008_sessions.apply)
MIGRATIONS(name="0009_federation_queues")(m0009_federation_queues.apply)
MIGRATIONS(name="0010_remote_context")(m0010_remote_context.apply)
MIGRATIONS(name="0011_moderation")(m0011_moderation.apply)
MIGRATIONS(name="0012_reports")(m0012_reports.apply)
MIGRATIONS(name="0013_mail")(m0013_mail.apply)
MIGRATIONS(name="0014_oidc")(m0014_oidc.apply)
MIGRATIONS(name="0015_second_factor")(m0015_second_factor.apply)
MIGRATIONS(name="0016_enrolment_per_login")(m0016_enrolment_per_login.apply)
MIGRATIONS(name="0017_media")(m0017_media.apply)
MIGRATIONS(name="0018_topic_reads")(m0018_topic_reads.apply)
MIGRATIONS(name="0019_subscriptions")(m0019_subscriptions.apply)
MIGRATIONS(name="0020_writing")(m0020_writing.apply)
MIGRATIONS(name="0021_finding")(m0021_finding.apply)
MIGRATIONS(name="0022_redactions")(m0022_redactions.apply)
