from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Registry: organizations, projects, access"

    def ready(self) -> None:
        # Cross-cutting plumbing only: request ids travel with the tasks a request enqueues.
        from celery.signals import before_task_publish, task_prerun
        from django.core.signals import request_finished, request_started

        from registry import lookups  # noqa: F401  (registers __in_array)
        from registry.after_response import run_collected, start_collecting
        from registry.request_id import adopt_request_id_in_worker, attach_request_id_to_task

        before_task_publish.connect(attach_request_id_to_task, dispatch_uid="registry.request_id.publish")
        task_prerun.connect(adopt_request_id_in_worker, dispatch_uid="registry.request_id.prerun")
        # Not business logic either: when a request's deferred calls (task enqueues) run.
        request_started.connect(start_collecting, dispatch_uid="registry.after_response.start")
        request_finished.connect(run_collected, dispatch_uid="registry.after_response.run")
