from django.db import models


class SetAsideTask(models.Model):
    """A Celery message that never finished in several deliveries (its worker killed or crashed each
    time), set aside instead of being run again. Operators read it in admin and act on its cause."""

    task_id = models.CharField(max_length=255, unique=True)
    task_name = models.CharField(max_length=255)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    first_seen = models.DateTimeField(help_text="When its first delivery started.")
    set_aside_at = models.DateTimeField(auto_now_add=True)
    deliveries = models.PositiveIntegerField(help_text="Deliveries, the last of which set it aside unrun.")
    last_error = models.TextField()

    class Meta:
        ordering = ["-set_aside_at"]
        verbose_name = "set-aside task"

    def __str__(self) -> str:
        return f"{self.task_name}[{self.task_id}]"
