"""The Windows and macOS bundle recipes, checked here since they cannot be built here: every
data file the wheel ships is in both bundles at the same place; the installer registers the
links and launch at login exactly as the app does and writes the deployment file the app reads;
Info.plist declares what macOS needs."""

from __future__ import annotations

import ast
import fnmatch
import importlib.util
import plistlib
import re
import subprocess
from pathlib import Path, PureWindowsPath

import pytest

from softphone.desktop import autostart, deployment, link_handler
from softphone.signin import service as signin
from softphone.storage import settings as settings_model

ROOT = Path(__file__).resolve().parents[2]
WINDOWS = ROOT / "packaging" / "windows"
MACOS = ROOT / "packaging" / "macos"
SPECS = {"windows": WINDOWS / "vicifast-phone.spec", "macos": MACOS / "vicifast-phone.spec"}
ISS = WINDOWS / "vicifast-phone.iss"
WORKFLOW = ROOT / ".github" / "workflows" / "bundles.yml"
RECIPES = [
    *SPECS.values(),
    ISS,
    WINDOWS / "build.ps1",
    MACOS / "build.sh",
    MACOS / "Info.plist",
    MACOS / "entitlements.plist",
    MACOS / "SIGNING.md",
    WORKFLOW,
]


# ---- the specs ---------------------------------------------------------------------------------


def spec_data_files(spec: Path) -> list[tuple[str, str]]:
    """The spec's ``DATA_FILES = [(source, folder in the bundle), ...]``, without running it."""
    for node in ast.parse(spec.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "DATA_FILES" for t in node.targets
        ):
            return [tuple(entry) for entry in ast.literal_eval(node.value)]
    raise AssertionError(f"{spec} has no DATA_FILES list")


def bundled_path(file: str, entries: list[tuple[str, str]]) -> set[str]:
    """Where ``file`` (relative to the checkout) lands in a bundle built with ``entries``."""
    found = set()
    for source, dest in entries:
        if (ROOT / source).is_dir() and file.startswith(source.rstrip("/") + "/"):
            found.add(f"{dest}/{file[len(source.rstrip('/')) + 1 :]}")
        elif fnmatch.fnmatchcase(file, source):
            found.add(f"{dest}/{Path(file).name}")
    return found


def wheel_data_files() -> dict[str, str]:
    """Each data file the wheel carries (tests/unit/test_packaging.py) → its path in the wheel:
    the package's files that are not Python and the top-level resources/ as softphone/resources."""
    tracked = subprocess.run(
        ["git", "ls-files", "--", "softphone"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    files = {name: name for name in tracked if not name.endswith(".py")}
    files |= {
        name: name
        for name in ("softphone/emulator/kamailio.cfg", "softphone/emulator/demo_seed.toml")
    }
    for path in (ROOT / "resources").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            name = path.relative_to(ROOT).as_posix()
            files[name] = f"softphone/{name}"
    return files


@pytest.mark.parametrize("platform", sorted(SPECS))
def test_each_spec_bundles_every_data_file_of_the_wheel_at_its_place(platform: str) -> None:
    entries = spec_data_files(SPECS[platform])
    for source, _dest in entries:
        assert list(ROOT.glob(source)), f"{platform}: {source} matches nothing"
    wanted = wheel_data_files()
    assert "softphone/ui/translations/vicifast_en.ts" in wanted
    assert "resources/icons/vicifast-phone.ico" in wanted
    missing = {
        file: place for file, place in wanted.items() if place not in bundled_path(file, entries)
    }
    assert not missing, f"{platform}: data files not in the bundle where the wheel has them"


@pytest.mark.parametrize("platform", sorted(SPECS))
def test_each_spec_runs_from_any_folder_and_names_the_shared_entry_point(platform: str) -> None:
    text = SPECS[platform].read_text(encoding="utf-8")
    assert "Path(SPECPATH)" in text
    assert '"packaging" / "vicifast-phone.py"' in text
    assert (ROOT / "packaging" / "vicifast-phone.py").is_file()
    for hidden in ('collect_submodules("softphone")', '"pjsua2.pjsua2"', '"sounddevice"'):
        assert hidden in text, f"{platform} spec misses the hidden import {hidden}"


def test_the_windows_spec_makes_a_windowed_app_and_a_console_command() -> None:
    text = SPECS["windows"].read_text(encoding="utf-8")
    assert 'executable("vicifast-phone", console=False)' in text
    assert 'executable("vicifast-phone-cli", console=True)' in text
    assert 'ROOT / "resources" / "icons" / "vicifast-phone.ico"' in text
    assert (ROOT / "resources" / "icons" / "vicifast-phone.ico").is_file()
    assert '"winreg"' in text  # link handler and launch at login import it by name


def test_the_macos_spec_fills_the_template_and_uses_the_icns() -> None:
    text = SPECS["macos"].read_text(encoding="utf-8")
    assert 'plistlib.loads((HERE / "Info.plist").read_bytes())' in text
    assert 'INFO["CFBundleShortVersionString"] = INFO["CFBundleVersion"] = VERSION' in text
    assert "info_plist=INFO" in text and "argv_emulation=False" in text
    assert 'name=INFO["CFBundleExecutable"]' in text
    assert (ROOT / "resources" / "icons" / "vicifast-phone.icns").is_file()


# ---- macOS: Info.plist and the entitlements ----------------------------------------------------


def test_info_plist_declares_the_app_its_links_and_why_it_needs_the_devices() -> None:
    info = plistlib.loads((MACOS / "Info.plist").read_bytes())
    assert info["CFBundleIdentifier"] == "com.vicifast.phone"
    assert info["CFBundleDisplayName"] == link_handler.APP_TITLE  # the name people read
    assert info["CFBundleName"] == "VICIfast Phone"  # names the bundle (the spec): a file name
    assert info["CFBundleExecutable"] == "vicifast-phone"
    assert info["CFBundleIconFile"] == "vicifast-phone.icns"
    assert info["CFBundlePackageType"] == "APPL"
    assert "CFBundleShortVersionString" in info  # filled from the version by the spec
    assert info["LSMinimumSystemVersion"] == "14.0"  # the pjsua2 wheel: macOS 14+ arm64
    assert info["LSUIElement"] is False and info["NSHighResolutionCapable"] is True
    assert "microphone" in info["NSMicrophoneUsageDescription"]
    assert "QR code" in info["NSCameraUsageDescription"]
    schemes = [s for kind in info["CFBundleURLTypes"] for s in kind["CFBundleURLSchemes"]]
    assert sorted(schemes) == sorted(link_handler.SCHEMES)
    assert all(kind["CFBundleURLName"] for kind in info["CFBundleURLTypes"])


def test_the_entitlements_allow_the_microphone_and_the_camera() -> None:
    entitlements = plistlib.loads((MACOS / "entitlements.plist").read_bytes())
    assert entitlements["com.apple.security.device.audio-input"] is True
    assert entitlements["com.apple.security.device.camera"] is True
    assert all(value is True for value in entitlements.values())


def test_the_macos_build_makes_a_disk_image_and_signing_is_documented() -> None:
    build = (MACOS / "build.sh").read_text(encoding="utf-8")
    assert "uv sync --group bundle --locked" in build
    assert "packaging/macos/vicifast-phone.spec" in build and "hdiutil create" in build
    signing = (MACOS / "SIGNING.md").read_text(encoding="utf-8")
    for step in ("--options runtime", "entitlements.plist", "notarytool submit", "stapler staple"):
        assert step in signing


# ---- Windows: the Inno Setup script -------------------------------------------------------------

_PARAM = re.compile(r'\s*(\w+):\s*("(?:[^"]|"")*"|[^;]*?)\s*(?:;|$)')


def iss() -> tuple[dict[str, str], dict[str, list[str]]]:
    """The script's ``#define``s and its lines per section, with ``{#Name}`` expanded."""
    defines: dict[str, str] = {}
    sections: dict[str, list[str]] = {}
    current = ""
    for raw in ISS.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if match := re.fullmatch(r'#define (\w+) "(.*)"', line):
            defines[match[1]] = match[2]
            continue
        for name, value in defines.items():
            line = line.replace(f"{{#{name}}}", value)
        if match := re.fullmatch(r"\[(\w+)\]", line):
            current = match[1]
            sections[current] = []
        elif current and line and not line.startswith(";"):
            sections[current].append(line)
    return defines, sections


def entries(section: str) -> list[dict[str, str]]:
    found = []
    for line in iss()[1][section]:
        params: dict[str, str] = {}
        pos = 0
        while pos < len(line):
            match = _PARAM.match(line, pos)
            assert match and match.end() > pos, f"cannot parse {line!r}"
            value = match[2]
            if value.startswith('"'):
                value = value[1:-1].replace('""', '"')
            params[match[1]] = value
            pos = match.end()
        found.append(params)
    return found


def setup() -> dict[str, str]:
    return dict(line.split("=", 1) for line in iss()[1]["Setup"])


def add_quotes(text: str) -> str:
    """Inno Setup's AddQuotes: quotes around a string with a space, unless already quoted."""
    return f'"{text}"' if " " in text and not text.startswith('"') else text


def installed_registry(app: str) -> dict[tuple[str, str], str]:
    """What the script's [Registry] section writes with every task chosen and {app} = ``app``."""
    exe = add_quotes(str(PureWindowsPath(app) / iss()[0]["AppExe"]))
    code = {"{code:LinkCommand}": f'{exe} "%1"', "{code:RunCommand}": exe}
    written = {}
    for entry in entries("Registry"):
        assert entry["Root"] == "HKCU" and entry["ValueType"] == "string"
        written[(entry["Subkey"], entry["ValueName"])] = code.get(
            entry["ValueData"], entry["ValueData"]
        )
    return written


def test_the_installer_is_per_user_by_default_with_the_choice_of_all_users() -> None:
    values = setup()
    assert values["PrivilegesRequired"] == "lowest"
    assert values["PrivilegesRequiredOverridesAllowed"] == "dialog commandline"
    assert values["DefaultDirName"] == r"{autopf}\VICIfast Phone"
    assert values["SetupIconFile"] == r"..\..\resources\icons\vicifast-phone.ico"
    assert (WINDOWS / PureWindowsPath(values["SetupIconFile"]).as_posix()).resolve().is_file()
    defines = iss()[0]
    assert (
        defines["AppExe"] == "vicifast-phone.exe" and defines["CliExe"] == "vicifast-phone-cli.exe"
    )
    assert defines["BundleDir"] == r"..\..\dist\vicifast-phone"  # the spec's COLLECT name
    assert 'name="vicifast-phone", strip' in SPECS["windows"].read_text(encoding="utf-8")
    icons = entries("Icons")
    assert {"Name": r"{autoprograms}\VICIfast Phone", "Filename": r"{app}\vicifast-phone.exe"} in (
        icons
    )


def test_the_code_functions_build_the_command_the_model_assumes() -> None:
    code = "\n".join(iss()[1]["Code"])
    assert "Result := AddQuotes(ExpandConstant('{app}\\vicifast-phone.exe'));" in code
    assert "Result := AppCommand() + ' \"%1\"';" in code
    assert re.search(
        r"function RunCommand\(Param: String\): String;\s*begin\s*Result := AppCommand\(\);", code
    )


@pytest.mark.parametrize(
    "app", [r"C:\Users\Agent One\AppData\Local\Programs\VICIfast Phone", r"D:\Apps\vicifast"]
)
def test_the_installer_registers_the_links_as_the_app_does(app: str) -> None:
    class Recorder:
        def __init__(self) -> None:
            self.written: dict[tuple[str, str], str] = {}

        def command(self, scheme: str) -> str | None:
            return None

        def set_handler(self, scheme: str, description: str, command: str) -> None:
            self.written |= link_handler.url_protocol_values(scheme, description, command)

        def remove_handler(self, scheme: str) -> None:
            pass

    recorder = Recorder()
    exe = str(PureWindowsPath(app) / "vicifast-phone.exe")
    link_handler.WindowsLinkHandler([exe], recorder).register()
    installed = installed_registry(app)
    classes = {
        key: value for key, value in installed.items() if key[0].startswith("Software\\Classes")
    }
    assert classes == recorder.written
    tasks = {
        e["Subkey"].split("\\")[2]: e.get("Tasks")
        for e in entries("Registry")
        if "Classes" in e["Subkey"]
    }
    assert set(tasks) == set(link_handler.SCHEMES) and set(tasks.values()) == {"links"}


@pytest.mark.parametrize(
    "app", [r"C:\Users\Agent One\AppData\Local\Programs\VICIfast Phone", r"D:\Apps\vicifast"]
)
def test_the_installer_turns_on_launch_at_login_as_the_app_does(app: str) -> None:
    class Run:
        def __init__(self) -> None:
            self.values: dict[str, str] = {}

        def get(self, name: str) -> str | None:
            return self.values.get(name)

        def set(self, name: str, value: str) -> None:
            self.values[name] = value

        def delete(self, name: str) -> None:
            self.values.pop(name, None)

    run = Run()
    autostart.WindowsAutostart([str(PureWindowsPath(app) / "vicifast-phone.exe")], run).enable()
    installed = installed_registry(app)
    ours = {key: value for key, value in installed.items() if key[0] == autostart.RUN_KEY}
    assert ours == {(autostart.RUN_KEY, name): value for name, value in run.values.items()}
    (entry,) = [e for e in entries("Registry") if e["Subkey"] == autostart.RUN_KEY]
    assert entry["Tasks"] == "autostart"
    (task,) = [t for t in entries("Tasks") if t["Name"] == "autostart"]
    assert task["Flags"] == "unchecked"  # optional, off unless chosen


def test_uninstalling_removes_only_what_is_still_ours_and_keeps_user_data_unless_asked() -> None:
    code = "\n".join(iss()[1]["Code"])
    assert "(Value = LinkCommand(''))" in code and "(Value = RunCommand(''))" in code
    assert "Also remove my call history and settings?" in code
    assert "UninstallSilent()" in code and "{param:PURGE|0}') = '1'" in code
    defines = iss()[0]
    assert defines["DataDirName"] == settings_model.APP_DIR_NAME == signin.APP_DIR_NAME
    assert "DelTree(ExpandConstant('{localappdata}\\vicifast-desktop')" in code
    assert "'agent --signout'" in code  # the keychain's saved sign-in, through the app


def test_the_silent_install_writes_the_deployment_file_the_app_reads() -> None:
    ini = entries("INI")
    assert {e["Filename"] for e in ini} == {"{app}\\" + deployment.FILE_NAME}
    assert {e["Section"] for e in ini} == {deployment.SECTION}
    assert sorted(e["Key"] for e in ini) == sorted(deployment.KEYS)
    params = {e["Key"]: e["String"] for e in ini}
    assert params == {
        "company_code": "{param:COMPANY}",
        "control_plane": "{param:CONTROLPLANE}",
        "ca_file": "{param:CAFILE}",
    }
    for key, value in params.items():
        name = value.removeprefix("{param:").removesuffix("}")
        (entry,) = [e for e in ini if e["Key"] == key]
        assert entry["Check"] == f"HasParam('{name}')"  # an absent parameter writes nothing
    assert {"Type": "files", "Name": "{app}\\" + deployment.FILE_NAME} in entries("UninstallDelete")


def test_a_file_like_the_installer_writes_is_read_by_the_app(tmp_path: Path) -> None:
    # Windows' WritePrivateProfileString: "key=value" lines, CRLF, no spaces.
    path = tmp_path / deployment.FILE_NAME
    path.write_bytes(
        b"[defaults]\r\ncompany_code=ACME\r\ncontrol_plane=https://control.acme.example\r\n"
    )
    found = deployment.read_defaults(path)
    assert (found.company_code, found.control_plane) == ("ACME", "https://control.acme.example")


def test_the_windows_build_script_builds_the_bundle_then_the_installer() -> None:
    text = (WINDOWS / "build.ps1").read_text(encoding="utf-8")
    assert '"sync", "--group", "bundle", "--locked"' in text
    assert "packaging\\windows\\vicifast-phone.spec" in text
    assert "packaging\\windows\\vicifast-phone.iss" in text
    assert text.index("vicifast-phone.spec") < text.index("vicifast-phone.iss")


# ---- the workflow and the recipes as files -----------------------------------------------------


def test_the_workflow_builds_both_runs_the_demo_and_keeps_the_installers() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    if importlib.util.find_spec("yaml") is not None:
        import yaml  # type: ignore[import-untyped]

        jobs = yaml.safe_load(text)["jobs"]
        assert jobs["windows"]["runs-on"] == "windows-latest"
        assert jobs["macos"]["runs-on"] == "macos-14"
    for needed in (
        "runs-on: windows-latest",
        "runs-on: macos-14",
        'python-version: "3.12"',
        "pip install uv",
        "./packaging/windows/build.ps1",
        "packaging/macos/build.sh",
        "packaging/windows/vicifast-phone.spec",
        "packaging/macos/vicifast-phone.spec",
        "vicifast-phone-cli.exe demo --json",
        'Contents/MacOS/vicifast-phone" demo --json',
        "/VERYSILENT",
        "/COMPANY=",
        "/CONTROLPLANE=",
        "/PURGE=1",
        "actions/upload-artifact",
        "dist/*.dmg",
    ):
        assert needed in text, needed
    assert "\t" not in text


def test_the_recipes_name_no_path_of_the_machine_that_wrote_them() -> None:
    for recipe in RECIPES:
        text = recipe.read_text(encoding="utf-8")
        for machine in ("/work/", "/home/", "/root/", "/tmp/", "C:\\Users\\runneradmin"):
            assert machine not in text, f"{recipe.name} names {machine}"
