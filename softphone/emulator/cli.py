"""`vicifast-phone emulator …`: run the emulator, show the demo sign-in, or drive its admin API."""

from __future__ import annotations

import argparse
import json
import os
import signal
import ssl
import sys
import threading
from pathlib import Path
from typing import Any

from softphone.emulator.errors import AdminError, EmulatorError

TOKEN_ENV = "VICIFAST_EMULATOR_TOKEN"

_DESCRIPTION = """\
Run a local VICIfast control plane + VICIdial provisioning server (+ a kamailio registrar
firewalled by the emulator's leases, when kamailio is installed) for demos and testing.
Serves HTTPS with a freshly generated local CA (--ca-out says where its certificate goes),
or plain HTTP on a loopback address with --insecure-http (which only the headless agent can
use, with `agent --signin --insecure-test-server`). Prints the URL and an admin token;
--info-out writes both (and the CA and SIP addresses) as JSON for scripts and `admin`.
Use another loopback address (127.0.0.2, 127.0.0.3, ...) per emulated agent IP.
--load-agents N adds N agents for load runs to the seed: company LOAD, load0001 with the
password load-pass-0001 (SIP extension 2001), load0002/load-pass-0002 (2002), and so on."""

_ADMIN_EPILOG = """\
examples:
  vicifast-phone emulator admin --info emu.json revoke --company DEMO --agent agent1
  vicifast-phone emulator admin --info emu.json addon --company DEMO --off
  vicifast-phone emulator admin --info emu.json settings --ttl 300 --reauth 60
  vicifast-phone emulator admin --info emu.json expire --ip 127.0.0.2
  vicifast-phone emulator admin --info emu.json audit"""


def add_parser(sub: Any) -> None:
    """Add the `emulator` command to the top-level subparsers."""
    emu = sub.add_parser(
        "emulator",
        help="run the local server emulator (sign-in, provisioning, firewall, registrar)",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        # no abbreviations: argparse matches every later argument against this parser's options
        # too, and `admin expire --in N` would be "ambiguous" (--insecure-http, --info-out)
        allow_abbrev=False,
    )
    emu.add_argument("--seed", type=Path, help="TOML seed file (default: the bundled demo)")
    emu.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    emu.add_argument("--port", type=int, default=8443, help="HTTP(S) port; 0 = a free port")
    emu.add_argument("--ca-out", type=Path, help="where to write the local CA certificate (PEM)")
    emu.add_argument(
        "--insecure-http",
        action="store_true",
        help="serve plain HTTP instead of HTTPS (only allowed on a loopback address; only "
        "`agent --signin --insecure-test-server` will sign in to it)",
    )
    emu.add_argument("--info-out", type=Path, help="write url, admin token, CA and SIP as JSON")
    emu.add_argument("--no-sip", action="store_true", help="do not start the kamailio registrar")
    emu.add_argument("--sip-port", type=int, default=0, help="registrar UDP port; 0 = a free port")
    emu.add_argument(
        "--load-agents",
        type=int,
        default=0,
        metavar="N",
        help="add N generated agents (1-2000) for load runs: company LOAD, usernames "
        "load0001, load0002, … with passwords load-pass-0001, …, extensions from 2001, "
        "no TOTP (default 0: none)",
    )
    emu.add_argument(
        "--print-demo", action="store_true", help="print the demo sign-in (from --seed) and exit"
    )
    actions = emu.add_subparsers(dest="emulator_command", metavar="admin")
    admin = actions.add_parser(
        "admin",
        help="drive a running emulator's admin API",
        description=f"Call a running emulator's admin API. The URL, token and CA come from "
        f"--info (the emulator's --info-out file) or --url, ${TOKEN_ENV} and --ca-file.",
        epilog=_ADMIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    admin.add_argument("--info", type=Path, help="the JSON file the emulator wrote (--info-out)")
    admin.add_argument("--url", help="the emulator's base URL")
    admin.add_argument("--ca-file", type=Path, help="the emulator's CA certificate")
    ops = admin.add_subparsers(dest="admin_command", required=True)
    agent_ops = (("revoke", "revoke an agent (closes its leases)"), ("restore", "restore an agent"))
    for name, text in agent_ops:
        op = ops.add_parser(name, help=text)
        op.add_argument("--company", required=True, help="company code")
        op.add_argument("--agent", required=True, help="agent username")
    addon = ops.add_parser("addon", help="lapse or restore the Agent Mobile App add-on")
    addon.add_argument("--company", required=True, help="company code")
    onoff = addon.add_mutually_exclusive_group(required=True)
    onoff.add_argument("--on", dest="active", action="store_true")
    onoff.add_argument("--off", dest="active", action="store_false")
    settings = ops.add_parser("settings", help="change the lease TTL / re-auth interval")
    settings.add_argument("--ttl", type=int, help="seconds an allow-rule lasts")
    settings.add_argument("--reauth", type=int, help="seconds between re-authentications")
    expire = ops.add_parser("expire", help="expire an IP's leases now (or in --in seconds)")
    expire.add_argument("--ip", required=True)
    expire.add_argument("--in", dest="in_s", type=int, default=0, help="seconds from now")
    outage = ops.add_parser(
        "outage", help="answer the next N sign-in/provisioning requests with 503 (0 ends it)"
    )
    outage.add_argument("--requests", type=int, required=True)
    ops.add_parser("leases", help="list firewall leases")
    ops.add_parser("audit", help="list sign-in attempts of the last 7 days")
    ops.add_parser("state", help="companies, agents and durations (no passwords)")


def run(args: argparse.Namespace) -> int:
    if args.emulator_command == "admin":
        return _run_admin(args)
    if args.print_demo:
        return _print_demo(args.seed)
    return _serve(args)


def _print_demo(seed: Path | None) -> int:
    from softphone.emulator.seed import load_seed

    _settings, companies = load_seed(seed)
    usable = [
        (company, agent)
        for company in companies
        if company.addon_active
        for agent in company.agents.values()
        if agent.active and not agent.totp_secret
    ]
    if not usable:
        raise EmulatorError(
            "The seed has no active agent without TOTP in a company with the add-on."
        )
    company, agent = usable[0]
    print(f"company code: {company.code}")
    print(f"username:     {agent.username}")
    print(f"password:     {agent.password}")
    print("\nall agents of the seed:")
    for company in companies:
        for agent in company.agents.values():
            notes = [
                "" if agent.active else "revoked",
                "TOTP" if agent.totp_secret else "",
                "" if company.addon_active else "add-on off",
            ]
            note = ", ".join(n for n in notes if n)
            print(f"  {company.code:<10} {agent.username:<12} ext {agent.extension:<6} {note}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from softphone.emulator.registrar import Registrar, kamailio_path
    from softphone.emulator.seed import LOAD_COMPANY_CODE, LOAD_FIRST_EXTENSION, load_agent
    from softphone.emulator.server import EmulatorServer
    from softphone.emulator.state import EmulatorState

    state = EmulatorState.from_seed(args.seed, load_agents=args.load_agents)
    registrar = None
    if not args.no_sip:
        if kamailio_path() is None:
            print("kamailio is not installed: no SIP registrar (use --no-sip to silence)")
        else:
            registrar = Registrar(state.sip_users(), host=args.host, port=args.sip_port)
    server = EmulatorServer(
        state,
        host=args.host,
        port=args.port,
        ca_out=args.ca_out,
        insecure_http=args.insecure_http,
        registrar=registrar,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    server.start()
    try:
        extra: dict[str, object] = {"load_agents": args.load_agents}
        info = server.info() | extra
        if args.info_out:
            server.write_info(args.info_out, extra)
        print(f"VICIfast emulator on {info['url']}")
        if args.load_agents:
            last = load_agent(args.load_agents)
            print(
                f"load agents: {args.load_agents} in company {LOAD_COMPANY_CODE} "
                f"(load0001/load-pass-0001 … {last.username}/{last.password}, "
                f"extensions {LOAD_FIRST_EXTENSION}-{last.extension})"
            )
        if info["ca_file"]:
            print(f"CA certificate: {info['ca_file']} (trust it in the client)")
        else:
            print("plain HTTP: sign in with `vicifast-phone agent --signin --insecure-test-server`")
        if info["sip"]:
            sip = info["sip"]
            print(f"SIP registrar: udp {sip['host']}:{sip['port']}")  # type: ignore[index]
        print(f"admin token: {info['admin_token']}")
        print("demo sign-in: vicifast-phone emulator --print-demo", flush=True)
        stop.wait()
    finally:
        server.stop()
    return 0


def _run_admin(args: argparse.Namespace) -> int:
    import httpx

    info: dict[str, Any] = {}
    if args.info:
        try:
            info = json.loads(args.info.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise AdminError(f"Cannot read the emulator info file {args.info}: {err}") from None
    url = args.url or info.get("url")
    token = os.environ.get(TOKEN_ENV) or info.get("admin_token")
    ca_file = args.ca_file or info.get("ca_file")
    if not url or not token:
        raise AdminError(f"Give --info FILE, or --url and ${TOKEN_ENV}.")
    command = args.admin_command
    body: dict[str, Any] | None = None
    method, path = "POST", f"/admin/{command}"
    if command in {"revoke", "restore"}:
        path = f"/admin/agents/{command}"
        body = {"company_code": args.company, "username": args.agent}
    elif command == "addon":
        body = {"company_code": args.company, "active": args.active}
    elif command == "settings":
        # `is not None`: a 0 goes to the server, which refuses it, rather than being dropped
        pairs = (("ttl_s", args.ttl), ("reauth_after_s", args.reauth))
        body = {k: v for k, v in pairs if v is not None}
    elif command == "expire":
        path, body = "/admin/leases/expire", {"ip": args.ip, "in_s": args.in_s}
    elif command == "outage":
        body = {"requests": args.requests}
    else:
        method = "GET"
    verify: ssl.SSLContext | bool = True
    if ca_file:
        verify = ssl.create_default_context(cafile=str(ca_file))
    headers = {"authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=url, verify=verify, headers=headers, timeout=10) as client:
            response = client.request(method, path, json=body)
    except httpx.HTTPError as err:
        raise AdminError(f"Cannot reach the emulator at {url}: {err}") from None
    print(json.dumps(response.json(), indent=2))
    if response.is_success:
        return 0
    print(f"vicifast-phone: the emulator refused: {response.status_code}", file=sys.stderr)
    return 1
