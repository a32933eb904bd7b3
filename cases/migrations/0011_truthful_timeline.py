"""History says when things happened: `CaseEvent.happened_on` and `Case.last_event_on`.

Existing rows are dated from what the database knows: a line a reimbursement caused, by the
record's approval date; the filing line, by the filing date; a Not Eligible or Closed line, by the
case's closing date; anything else, by the day it was recorded. History rows refuse updates (trigger
`cases_caseevent_immutable`): it is lifted for this one backfill, inside the migration's transaction.
"""

from django.db import migrations, models

BACKFILL = """
ALTER TABLE cases_caseevent DISABLE TRIGGER cases_caseevent_immutable;
UPDATE cases_caseevent e SET happened_on = coalesce(
    (SELECT (r.approval_date AT TIME ZONE 'UTC')::date FROM cases_reimbursementrecord r
     WHERE r.id = e.record_id AND r.origin <> 'void'),
    CASE WHEN e.from_status = '' THEN (SELECT c.date_filed FROM cases_case c WHERE c.id = e.case_id) END,
    CASE WHEN e.to_status IN ('not_eligible', 'closed') AND e.from_status <> e.to_status
         THEN (SELECT c.closed_on FROM cases_case c WHERE c.id = e.case_id) END,
    (e.created_at AT TIME ZONE 'UTC')::date
);
ALTER TABLE cases_caseevent ENABLE TRIGGER cases_caseevent_immutable;
UPDATE cases_case c SET last_event_on = greatest(
    c.date_filed, c.last_reimbursed_on, c.closed_on,
    (SELECT max(e.happened_on) FROM cases_caseevent e WHERE e.case_id = c.id)
);
"""


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0010_daily_and_product_rollups"),
    ]

    operations = [
        migrations.AddField(
            model_name="caseevent",
            name="happened_on",
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name="case",
            name="last_event_on",
            field=models.DateField(
                editable=False, null=True, verbose_name="last update",
                help_text="When the latest thing in the case's history happened (its latest `CaseEvent.happened_on`).",
            ),
        ),
        migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="caseevent",
            name="happened_on",
            field=models.DateField(),
        ),
        migrations.AlterField(
            model_name="case",
            name="last_event_on",
            field=models.DateField(
                editable=False, verbose_name="last update",
                help_text="When the latest thing in the case's history happened (its latest `CaseEvent.happened_on`).",
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="recorded at"),
        ),
        migrations.RemoveIndex(model_name="case", name="case_t_updated"),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["tenant", "last_event_on", "id"], name="case_t_last_event"),
        ),
    ]
