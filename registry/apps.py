from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Registry: organizations, projects, access"

    def ready(self) -> None:
        # Cross-cutting logging only: request ids travel with the tasks a request enqueues.
        from celery.signals import before_task_publish, task_prerun

        from registry import lookups  # noqa: F401  (registers __in_array)
        from registry.request_id import adopt_request_id_in_worker, attach_request_id_to_task

        before_task_publish.connect(attach_request_id_to_task, dispatch_uid="registry.request_id.publish")
        task_prerun.connect(adopt_request_id_in_worker, dispatch_uid="registry.request_id.prerun")
