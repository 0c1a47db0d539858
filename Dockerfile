# The reconciler image: orbctl (which runs `orbctl reconcile`), the policy pack, the Pulumi CLI and
# the kubernetes provider plugin, nothing else. Prepare the context with `make image-context`, then
# `docker build -t REGISTRY/orbos:TAG .` (or `make image IMAGE=...`). No Docker engine runs on the
# project's build machines, so this file is not exercised there.
FROM gcr.io/distroless/base-debian12:nonroot
COPY bin/image/ /usr/local/bin/
USER 65532:65532
ENV PULUMI_SKIP_UPDATE_CHECK=true
ENTRYPOINT ["/usr/local/bin/orbctl"]
CMD ["reconcile"]
