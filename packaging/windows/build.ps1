# Builds the Windows bundle and its installer into dist\ (from any folder):
#   powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
#   dist\vicifast-phone\                    the one-folder bundle (vicifast-phone.exe, -cli.exe)
#   dist\vicifast-phone-<version>-setup.exe the installer (Inno Setup)
# Needs uv (https://docs.astral.sh/uv/) and Inno Setup 6.3+ (iscc on PATH or in its default
# folder). -SkipInstaller builds the bundle only.
param([switch]$SkipInstaller)

$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

function Invoke-Native {
    # Windows PowerShell does not stop on a failing program: check its exit code.
    param([string]$Program, [string[]]$Arguments)
    & $Program @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Program failed with exit code $LASTEXITCODE" }
}

$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
Push-Location $Root
try {
    Invoke-Native uv @("sync", "--group", "bundle", "--locked")
    Invoke-Native uv @(
        "run", "--no-sync", "pyinstaller", "--noconfirm", "--clean",
        "--distpath", "dist", "--workpath", "build\pyinstaller-windows",
        "packaging\windows\vicifast-phone.spec"
    )
    if ($SkipInstaller) { return }

    $Version = (& uv run --no-sync python -c "import softphone; print(softphone.__version__)").Trim()
    if ($LASTEXITCODE -ne 0 -or -not $Version) { throw "could not read the app's version" }
    $Iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue | Select-Object -First 1).Source
    if (-not $Iscc) {
        $Iscc = @(
            (Join-Path ${env:ProgramFiles(x86)} "Inno Setup 6\ISCC.exe"),
            (Join-Path $env:ProgramFiles "Inno Setup 6\ISCC.exe"),
            (Join-Path $env:LOCALAPPDATA "Programs\Inno Setup 6\ISCC.exe")
        ) | Where-Object { Test-Path $_ } | Select-Object -First 1
    }
    if (-not $Iscc) { throw "Inno Setup 6 is not installed (winget install JRSoftware.InnoSetup)" }
    Invoke-Native $Iscc @(
        "/Qp",
        "/DAppVersion=$Version",
        "/DBundleDir=$Root\dist\vicifast-phone",
        "/DOutputDir=$Root\dist",
        "packaging\windows\vicifast-phone.iss"
    )
    Write-Output (Join-Path $Root "dist\vicifast-phone-$Version-setup.exe")
}
finally {
    Pop-Location
}
