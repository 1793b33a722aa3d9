#!/usr/bin/python3
"""cri.py: a small CRI v1 client for the tests, shaped like a subset of crictl.

  cri.py [-s SOCK] [--timeout SEC] COMMAND ARGS...

  version                          the runtime's name and versions
  runp [--runtime H] POD.json      RunPodSandbox; prints the pod id
  stopp POD | rmp POD              StopPodSandbox | RemovePodSandbox
  inspectp POD                     PodSandboxStatus (verbose), as JSON
  pods                             ListPodSandbox, as JSON
  create POD CTR.json POD.json     CreateContainer; prints the container id
  start ID | rm ID                 StartContainer | RemoveContainer
  stop [-t SEC] ID                 StopContainer, SIGKILL after SEC (default 10)
  inspect ID                       ContainerStatus (verbose), as JSON
  ps [--pod POD]                   ListContainers, as JSON
  exec [-t SEC] ID CMD ARGS...     ExecSync: the command's stdout and stderr
                                   as they are, and its exit code as ours
  images | inspecti IMAGE          ListImages | ImageStatus, as JSON

The configs are the CRI messages as JSON (PodSandboxConfig, ContainerConfig),
with camelCase or proto field names, as crictl takes them. The output JSON
uses camelCase and shows fields at their defaults (SANDBOX_READY is 0).

The stubs are generated from cri.proto beside this file by grpc_tools.protoc
into $CRI_STUBS (default: a directory in $TMPDIR named by the proto's hash),
once. Every RPC has a deadline of --timeout seconds ($CRI_TIMEOUT, default
600): under emulation a sandbox takes minutes.

Exit status: 0; the command's own with exec; 125 when the RPC fails (the gRPC
status and message on stderr); 2 on a usage error.
"""
import hashlib
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "cri.proto")


def stubs_dir():
    with open(PROTO, "rb") as f:
        tag = hashlib.sha256(f.read()).hexdigest()[:16]
    out = os.environ.get("CRI_STUBS") or os.path.join(tempfile.gettempdir(), "cri-stubs-" + tag)
    if os.path.exists(os.path.join(out, "cri_pb2_grpc.py")):
        return out
    from grpc_tools import protoc
    # Generated into a fresh directory and renamed, so that concurrent
    # first runs never import a half-written module.
    parent = os.path.dirname(out) or "."
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".cri-stubs-", dir=parent)
    args = ["protoc", "-I" + HERE, "--python_out=" + tmp, "--grpc_python_out=" + tmp, PROTO]
    if protoc.main(args) != 0:
        sys.exit("cri.py: protoc failed on " + PROTO)
    try:
        os.rename(tmp, out)
    except OSError:
        if not os.path.exists(os.path.join(out, "cri_pb2_grpc.py")):
            raise
    return out


sys.path.insert(0, stubs_dir())
import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402
import cri_pb2 as pb  # noqa: E402
import cri_pb2_grpc as rpc  # noqa: E402


class Usage(Exception):
    pass


def to_json(msg):
    return json_format.MessageToJson(msg, including_default_value_fields=True, indent=2)


def load(path, cls):
    with open(path) as f:
        return json_format.Parse(f.read(), cls())


def take_opt(args, names, default=None):
    """Removes `NAME VALUE` (one of names) from the front of args."""
    while args and args[0] in names:
        if len(args) < 2:
            raise Usage(args[0] + " needs a value")
        default = args[1]
        del args[:2]
    return default


def need(args, n, what):
    if len(args) < n:
        raise Usage(what)


def run(cmd, args, runtime, images, timeout):
    call = {"timeout": timeout}
    if cmd == "version":
        print(to_json(runtime.Version(pb.VersionRequest(version="v1"), **call)))
    elif cmd == "runp":
        handler = take_opt(args, ("--runtime", "-r"), "")
        need(args, 1, "runp [--runtime H] POD.json")
        r = runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=load(args[0], pb.PodSandboxConfig),
                                                          runtime_handler=handler), **call)
        print(r.pod_sandbox_id)
    elif cmd == "stopp":
        need(args, 1, "stopp POD")
        runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=args[0]), **call)
    elif cmd == "rmp":
        need(args, 1, "rmp POD")
        runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=args[0]), **call)
    elif cmd == "inspectp":
        need(args, 1, "inspectp POD")
        print(to_json(runtime.PodSandboxStatus(pb.PodSandboxStatusRequest(pod_sandbox_id=args[0], verbose=True),
                                               **call)))
    elif cmd == "pods":
        print(to_json(runtime.ListPodSandbox(pb.ListPodSandboxRequest(), **call)))
    elif cmd == "create":
        need(args, 3, "create POD CTR.json POD.json")
        r = runtime.CreateContainer(pb.CreateContainerRequest(
            pod_sandbox_id=args[0], config=load(args[1], pb.ContainerConfig),
            sandbox_config=load(args[2], pb.PodSandboxConfig)), **call)
        print(r.container_id)
    elif cmd == "start":
        need(args, 1, "start ID")
        runtime.StartContainer(pb.StartContainerRequest(container_id=args[0]), **call)
    elif cmd == "stop":
        grace = int(take_opt(args, ("-t", "--timeout"), "10"))
        need(args, 1, "stop [-t SEC] ID")
        runtime.StopContainer(pb.StopContainerRequest(container_id=args[0], timeout=grace), **call)
    elif cmd == "rm":
        need(args, 1, "rm ID")
        runtime.RemoveContainer(pb.RemoveContainerRequest(container_id=args[0]), **call)
    elif cmd == "inspect":
        need(args, 1, "inspect ID")
        print(to_json(runtime.ContainerStatus(pb.ContainerStatusRequest(container_id=args[0], verbose=True),
                                              **call)))
    elif cmd == "ps":
        pod = take_opt(args, ("--pod", "-p"), "")
        req = pb.ListContainersRequest(filter=pb.ContainerFilter(pod_sandbox_id=pod))
        print(to_json(runtime.ListContainers(req, **call)))
    elif cmd == "exec":
        limit = int(take_opt(args, ("-t", "--timeout"), "0"))
        need(args, 2, "exec [-t SEC] ID CMD ARGS...")
        r = runtime.ExecSync(pb.ExecSyncRequest(container_id=args[0], cmd=args[1:], timeout=limit), **call)
        sys.stdout.buffer.write(r.stdout)
        sys.stdout.flush()
        sys.stderr.buffer.write(r.stderr)
        sys.stderr.flush()
        return r.exit_code
    elif cmd == "images":
        print(to_json(images.ListImages(pb.ListImagesRequest(), **call)))
    elif cmd == "inspecti":
        need(args, 1, "inspecti IMAGE")
        req = pb.ImageStatusRequest(image=pb.ImageSpec(image=args[0]), verbose=True)
        print(to_json(images.ImageStatus(req, **call)))
    else:
        raise Usage("unknown command " + cmd)
    return 0


def main(argv):
    args = list(argv)
    sock = os.environ.get("CRI_SOCK", "/run/containerd/containerd.sock")
    timeout = float(os.environ.get("CRI_TIMEOUT", "600"))
    try:
        while args and args[0].startswith("-"):
            if args[0] in ("-s", "--socket"):
                sock = take_opt(args, (args[0],))
            elif args[0] == "--timeout":
                timeout = float(take_opt(args, ("--timeout",)))
            elif args[0] in ("-h", "--help"):
                print(__doc__.strip())
                return 0
            else:
                raise Usage("unknown option " + args[0])
        if not args:
            raise Usage("no command")
        with grpc.insecure_channel("unix://" + os.path.abspath(sock)) as ch:
            return run(args[0], args[1:], rpc.RuntimeServiceStub(ch), rpc.ImageServiceStub(ch), timeout)
    except Usage as e:
        print("cri.py: %s (cri.py --help)" % e, file=sys.stderr)
        return 2
    except grpc.RpcError as e:
        print("cri.py: %s: %s" % (e.code().name, e.details()), file=sys.stderr)
        return 125
    except (OSError, json_format.ParseError, ValueError) as e:
        print("cri.py: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
