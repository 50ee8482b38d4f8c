"""`phasedsearch deploy kubernetes`: Kubernetes manifests rendered from the application package.

    phasedsearch deploy kubernetes --app DIR                 # CPU manifests on stdout (kubectl apply -f -)
    phasedsearch deploy kubernetes --app DIR --gpu           # the same with the GPU container
    phasedsearch deploy kubernetes --app DIR --out k8s/      # kustomize base + overlays/cpu + overlays/gpu

The content groups and nodes per group come from services.xml, exactly as `phasedsearch up` reads
them, so the local cluster and the Kubernetes one have the same distribution keys and groups.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path, PurePosixPath
from typing import Any, Sequence

from deploy import k8s_yaml
from deploy.k8s_manifests import (
    CONTAINER_NAME,
    GPU_DEVICE_ENV,
    DeployOptions,
    app_package_configmap,
    container_objects,
    container_rollout,
    content_group_objects,
    gpu_toleration,
    grpc_network_policy,
)
from deploy.k8s_topology import TopologyError, check_dns_label, dns_label, node_endpoints, plan_groups
from searchlib.errors import SchemaError
from searchlib.schema.application import load_application, package_files
from searchlib.schema.model import ApplicationPackage

HEADER = "# Rendered by `phasedsearch deploy kubernetes` from the application package; re-render, do not edit.\n"
KUSTOMIZATION = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}


def app_package_files(app_dir: str | Path) -> dict[str, bytes]:
    """The files the ConfigMap carries: the package's files but `models/` (the image holds the models)."""
    root = Path(app_dir)
    return {relative: (root / relative).read_bytes() for relative in package_files(root)
            if PurePosixPath(relative).parts[0] != "models"}


def render_objects(package: ApplicationPackage, files: dict[str, bytes], options: DeployOptions,
                   *, gpu: bool = False) -> list[dict[str, Any]]:
    """Every object, in apply order: the package ConfigMap, each content cluster's groups' objects,
    the container's. With several content clusters each node is told its cluster (`--cluster`)
    and the container the cluster of each node; one content cluster renders as it always has."""
    check_dns_label(options.namespace, "namespace")
    for component in package.components.values():
        for key, reference in component.stored_models.items():  # the pods have no model store
            raise SchemaError(f"component '{component.id}' <{key}>: '{reference}' resolves through this "
                              "machine's model store, which the Kubernetes pods do not have: put the file in "
                              "the package and name it with path=")
    several = len(package.clusters) > 1
    configmap = app_package_configmap(files, options)
    objects: list[dict[str, Any]] = [configmap]
    endpoints: list = []
    policies = []
    for cluster in package.clusters:
        groups = plan_groups(cluster)
        node_args = ("--cluster", cluster.id) if several else ()
        for plan in groups:
            objects.extend(content_group_objects(cluster.id, plan, configmap, files, options, node_args))
        endpoints.extend(node_endpoints(groups, options.namespace, cluster_domain=options.cluster_domain,
                                        cluster=cluster.id if several else ""))
        if options.tls_secret:
            name = f"{dns_label(cluster.id, 'content cluster id')}-content-node-grpc" if several else "content-node-grpc"
            policies.append(grpc_network_policy(cluster.id, options, name))
    objects.extend(container_objects(tuple(endpoints), configmap, files, options, gpu=gpu))
    return objects + policies


def render(app_dir: str | Path, options: DeployOptions = DeployOptions(), *, gpu: bool = False) -> list[dict[str, Any]]:
    return render_objects(load_application(app_dir), app_package_files(app_dir), options, gpu=gpu)


def gpu_container_patch(options: DeployOptions) -> list[dict[str, Any]]:
    """JSON 6902 patch turning the base container Deployment into the GPU one (`test` ops guard the
    list positions it relies on)."""
    container = "/spec/template/spec/containers/0"
    image = options.resolved_gpu_image
    return [
        {"op": "test", "path": f"{container}/name", "value": CONTAINER_NAME},
        {"op": "replace", "path": f"{container}/image", "value": image},
        {"op": "replace", "path": "/spec/template/spec/initContainers/0/image", "value": image},
        {"op": "test", "path": f"{container}/env/0/name", "value": GPU_DEVICE_ENV},
        {"op": "replace", "path": f"{container}/env/0/value", "value": "0"},
        {"op": "replace", "path": f"{container}/resources",
         "value": options.container_resources.as_spec(gpus=1)},
        {"op": "add", "path": "/spec/template/spec/tolerations", "value": [gpu_toleration()]},
        {"op": "replace", "path": "/spec/strategy", "value": container_rollout(True)},
    ]


def kustomize_tree(package: ApplicationPackage, files: dict[str, bytes],
                   options: DeployOptions) -> dict[str, str]:
    """Relative path -> YAML text: `base/` with every object, `overlays/cpu` and `overlays/gpu`."""
    objects = render_objects(package, files, options)
    by_file: dict[str, list[dict[str, Any]]] = {}
    for obj in objects:
        kind, name = obj["kind"], obj["metadata"]["name"]
        component = obj["metadata"]["labels"]["app.kubernetes.io/component"]
        file = ("app-package.yaml" if kind == "ConfigMap"
                else "container.yaml" if component == CONTAINER_NAME else f"{name}.yaml")
        by_file.setdefault(file, []).append(obj)
    tree = {f"base/{file}": HEADER + k8s_yaml.dump_all(docs) for file, docs in by_file.items()}
    tree["base/kustomization.yaml"] = HEADER + k8s_yaml.dump(
        {**KUSTOMIZATION, "namespace": options.namespace, "resources": list(by_file)})
    tree["overlays/cpu/kustomization.yaml"] = HEADER + k8s_yaml.dump(
        {**KUSTOMIZATION, "resources": ["../../base"]})
    tree["overlays/gpu/kustomization.yaml"] = HEADER + k8s_yaml.dump(
        {**KUSTOMIZATION, "resources": ["../../base"],
         "patches": [{"path": "container-gpu.yaml",
                      "target": {"group": "apps", "version": "v1", "kind": "Deployment", "name": CONTAINER_NAME}}]})
    tree["overlays/gpu/container-gpu.yaml"] = HEADER + k8s_yaml.dump(gpu_container_patch(options))
    return tree


def write_tree(tree: dict[str, str], out_dir: str | Path) -> list[Path]:
    """Write the files; earlier renders' files that are no longer part of the tree are removed
    (only files this renderer wrote, recognised by their header)."""
    root = Path(out_dir)
    written = []
    for relative, text in sorted(tree.items()):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    for folder in {path.parent for path in written}:
        for stale in folder.glob("*.yaml"):
            if stale not in written and stale.read_text().startswith(HEADER):
                stale.unlink()
    return written


# ---- command line --------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    defaults = DeployOptions()
    parser = argparse.ArgumentParser(
        prog="phasedsearch deploy kubernetes",
        description="Render Kubernetes manifests from an application package's topology.")
    parser.add_argument("--app", required=True, help="application package directory (services.xml, schemas/)")
    parser.add_argument("--out", help="write a kustomize tree (base/, overlays/cpu, overlays/gpu) here "
                                      "instead of printing manifests")
    parser.add_argument("--image", default=defaults.image, help=f"image of both processes (default {defaults.image})")
    parser.add_argument("--gpu-image", default="", help="CUDA image of the container (default: --image with "
                                                        "-gpu appended to the tag)")
    parser.add_argument("--gpu", action="store_true", help="print the GPU variant (with --out both are written)")
    parser.add_argument("--namespace", default=defaults.namespace, help=f"default {defaults.namespace}")
    parser.add_argument("--container-replicas", type=int, default=defaults.container_replicas,
                        help=f"container pods (default {defaults.container_replicas})")
    parser.add_argument("--storage", default=defaults.storage, help=f"volume size per content node "
                                                                    f"(default {defaults.storage})")
    parser.add_argument("--storage-class", help="StorageClass of the node volumes (default: the cluster's)")
    parser.add_argument("--cluster-domain", default=defaults.cluster_domain,
                        help=f"the cluster's DNS domain (default {defaults.cluster_domain})")
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument("--tls-secret", default=defaults.tls_secret,
                     help=f"Secret with tls.crt, tls.key, ca.crt for cluster mutual TLS (default {defaults.tls_secret})")
    tls.add_argument("--no-tls", action="store_true", help="plaintext gRPC inside the cluster, no NetworkPolicy")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exit_request:
        return int(exit_request.code or 0)
    if args.out and args.gpu:
        print("error: --out writes both overlays (cpu and gpu); --gpu only selects what is printed",
              file=sys.stderr)
        return 2
    options = DeployOptions(namespace=args.namespace, image=args.image, gpu_image=args.gpu_image,
                            container_replicas=args.container_replicas, storage=args.storage,
                            storage_class=args.storage_class, cluster_domain=args.cluster_domain,
                            tls_secret=None if args.no_tls else args.tls_secret)
    try:
        package = load_application(args.app)
        files = app_package_files(args.app)
        if args.out:
            written = write_tree(kustomize_tree(package, files, options), args.out)
            groups = [g for cluster in package.clusters for g in plan_groups(cluster)]
            print(f"wrote {len(written)} files to {args.out}: {len(groups)} content group(s) of "
                  f"{', '.join(str(len(g.distribution_keys)) for g in groups)} node(s); apply with\n"
                  f"  kubectl apply -k {Path(args.out) / 'overlays' / 'cpu'}   (or overlays/gpu)", file=sys.stderr)
        else:
            sys.stdout.write(k8s_yaml.dump_all(render_objects(package, files, options, gpu=args.gpu)))
    except (SchemaError, TopologyError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
