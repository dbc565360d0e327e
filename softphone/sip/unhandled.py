"""An answer for every request no part of pjsip takes (RFC 3261 §8.2.1).

pjsip drops an out-of-dialog request that no module handles: a ``PUBLISH``, a ``FOO``, a stray
``BYE`` without a dialog get no reply at all, so their sender retransmits for 32 s and cannot
tell a phone that does not implement the method from one that is not there. pjsua2 wraps no
module API, but where the extension exports pjsip's C functions (the Linux wheel; not the
Windows one, see docs/security.md) a small module of our own, placed after every pjsua module,
answers what is left: ``481 Call/Transaction Does Not Exist`` to the methods that only make
sense inside a dialog, ``501 Not Implemented`` to the rest, and nothing to ``ACK`` (never
answered) or ``CANCEL`` (pjsip answers one that matches nothing itself). It never looks at
the request beyond its method, so it needs no knowledge of pjsip's structures.

Runs on the SIP thread (pjsip calls the module from ``libHandleEvents``).
"""

from __future__ import annotations

import ctypes
import logging

from softphone.sip.capabilities import c_functions

_log = logging.getLogger(__name__)

# pjsip's module priorities: the application layer is 64 (pjsua's own modules); this comes last.
_PRIORITY = 99
_DIALOG_ONLY = frozenset({"BYE", "INFO", "UPDATE", "PRACK", "NOTIFY", "REFER"})
# Never answered here: an ACK gets no answer at all, and pjsip's user-agent layer already
# answers a CANCEL that matches no INVITE (481).
_LEFT_ALONE = frozenset({"ACK", "CANCEL"})
_PREFIX = b"Request msg "

_RxCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_Fn = ctypes.c_void_p


class _PjStr(ctypes.Structure):
    _fields_ = (("ptr", ctypes.c_char_p), ("slen", ctypes.c_ssize_t))


class _PjsipModule(ctypes.Structure):
    # pjsip/sip_module.h, struct pjsip_module (unchanged since pjsip 1.x).
    _fields_ = (
        ("prev", ctypes.c_void_p),
        ("next", ctypes.c_void_p),
        ("name", _PjStr),
        ("id", ctypes.c_int),
        ("priority", ctypes.c_int),
        ("load", _Fn),
        ("start", _Fn),
        ("stop", _Fn),
        ("unload", _Fn),
        ("on_rx_request", _RxCallback),
        ("on_rx_response", _Fn),
        ("on_tx_request", _Fn),
        ("on_tx_response", _Fn),
        ("on_tsx_state", _Fn),
    )


def answer_for(method: str) -> int:
    """The status code for an out-of-dialog request of ``method`` that nothing handled (0: none)."""
    if method in _LEFT_ALONE:
        return 0
    return 481 if method in _DIALOG_ONLY else 501


# pjsip keeps a pointer to every module it was given until the library is destroyed; a module
# of a destroyed library may still be read while it tears down. They are few (one per engine
# start) and small, so they live as long as the process.
_KEEP: list[object] = []


class UnhandledRequests:
    """Installs the module on the SIP thread after ``libInit``."""

    def install(self) -> bool:
        """True when the module is in place; False where this build exports no pjsip
        functions (then such requests stay unanswered, as pjsip leaves them, and
        ``Capabilities.unhandled_501`` is false)."""
        found = c_functions(
            "pjsua_get_pjsip_endpt",
            "pjsip_rx_data_get_info",
            "pjsip_endpt_respond_stateless",
            "pjsip_endpt_register_module",
        )
        if found is None:
            return False
        get_endpt, get_info, respond, register = found
        get_endpt.restype = ctypes.c_void_p
        get_endpt.argtypes = ()
        get_info.restype = ctypes.c_char_p
        get_info.argtypes = (ctypes.c_void_p,)
        respond.restype = ctypes.c_int
        respond.argtypes = (
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_void_p,
        )
        register.restype = ctypes.c_int
        register.argtypes = (ctypes.c_void_p, ctypes.POINTER(_PjsipModule))
        endpt = get_endpt()
        if not endpt:
            return False

        def on_rx_request(rdata: int | None) -> int:
            try:
                info = get_info(rdata) or b""
                if not info.startswith(_PREFIX):
                    return 0
                method = info[len(_PREFIX) :].split(b"/", 1)[0].decode("ascii", "replace")
                code = answer_for(method)
                if code == 0:
                    return 0  # left to pjsip, as without this module
                respond(endpt, rdata, code, None, None, None)
                _log.info("answered %d to an out-of-dialog %s nothing handles", code, method)
                return 1
            except Exception:  # pjsip must never see a Python exception
                _log.exception("answering an unhandled request failed")
                return 0

        name = b"mod-vicifast-unhandled"
        module = _PjsipModule()
        module.name = _PjStr(name, len(name))
        module.id = -1
        module.priority = _PRIORITY
        module.on_rx_request = _RxCallback(on_rx_request)
        _KEEP.extend((module, name, module.on_rx_request, on_rx_request))
        status = register(endpt, ctypes.byref(module))
        if status != 0:
            _log.warning("the unhandled-request module could not be registered (%d)", status)
            return False
        return True
