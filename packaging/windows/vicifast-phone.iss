; Inno Setup 6 (6.3 or later) script: the Windows installer of VICIfast Desktop.
; packaging/windows/build.ps1 compiles it once PyInstaller has built dist\vicifast-phone\:
;   iscc /DAppVersion=0.1.0 /DBundleDir=<checkout>\dist\vicifast-phone /DOutputDir=<checkout>\dist
;        packaging\windows\vicifast-phone.iss
;
; Per user by default, no administrator needed ({autopf} is then %LOCALAPPDATA%\Programs); an
; administrator may install for all users from the first dialog or with /ALLUSERS.
;
; Silent deployment:
;   vicifast-phone-<version>-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /COMPANY=ACME
;       /CONTROLPLANE=https://control.acme.example [/CAFILE=C:\certs\acme-ca.pem]
;       [/TASKS="links,autostart"]
; writes vicifast-phone.ini next to the program: the sign-in form's defaults (docs/deployment.md).
; A value that is not valid stops the installation (exit code 1) before anything is installed.
; Uninstalling keeps the person's call history and settings unless they tick the box to remove
; them; a silent uninstall (unins000.exe /VERYSILENT) removes them only with /PURGE=1.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\vicifast-phone"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

; the name people read; the install folder and the shortcuts' file names keep the old one, so an
; update installs over the earlier version instead of beside it
#define AppName "VICIfast Desktop"
#define AppFolder "VICIfast Phone"
#define AppExe "vicifast-phone.exe"
#define CliExe "vicifast-phone-cli.exe"
; softphone/desktop/deployment.py: FILE_NAME and SECTION
#define IniFile "vicifast-phone.ini"
#define IniSection "defaults"
; platformdirs' folder for the call history, settings and logs (APP_DIR_NAME in softphone/)
#define DataDirName "vicifast-desktop"
; softphone/desktop/autostart.py: RUN_KEY and APP_NAME
#define RunKey "Software\Microsoft\Windows\CurrentVersion\Run"
#define RunValue "VICIfast Desktop"

[Setup]
AppId={{5B0C6F3E-8A4D-4C2B-9E71-3D6A2F8B1C94}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=VICIfast
DefaultDirName={autopf}\{#AppFolder}
DefaultGroupName={#AppFolder}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir={#OutputDir}
OutputBaseFilename=vicifast-phone-{#AppVersion}-setup
SetupIconFile=..\..\resources\icons\vicifast-phone.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; an update closes the running app (Restart Manager) instead of failing on its files
CloseApplications=yes
RestartApplications=no
; the links and launch at login are per user (HKCU), as the app's own Settings write them
UsedUserAreasWarning=no

[Tasks]
Name: "links"; Description: "Open sip:, tel: and callto: links with {#AppName}"
Name: "autostart"; Description: "Start {#AppName} when I sign in to Windows"; Flags: unchecked
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppFolder}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppFolder}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[INI]
; /COMPANY=, /CONTROLPLANE=, /CAFILE=: the keys softphone/desktop/deployment.py reads (KEYS)
Filename: "{app}\{#IniFile}"; Section: "{#IniSection}"; Key: "company_code"; String: "{param:COMPANY}"; Check: HasParam('COMPANY')
Filename: "{app}\{#IniFile}"; Section: "{#IniSection}"; Key: "control_plane"; String: "{param:CONTROLPLANE}"; Check: HasParam('CONTROLPLANE')
Filename: "{app}\{#IniFile}"; Section: "{#IniSection}"; Key: "ca_file"; String: "{param:CAFILE}"; Check: HasParam('CAFILE')

[UninstallDelete]
Type: files; Name: "{app}\{#IniFile}"

[Registry]
; The URL protocols exactly as WindowsLinkHandler (softphone/desktop/link_handler.py) writes them, so
; the Settings checkbox shows them on and can turn them off. Removed at uninstall by [Code], and
; only while they still open this app.
Root: HKCU; Subkey: "Software\Classes\tel"; ValueType: string; ValueName: ""; ValueData: "URL:tel ({#AppName})"; Tasks: links
Root: HKCU; Subkey: "Software\Classes\tel"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""; Tasks: links
Root: HKCU; Subkey: "Software\Classes\tel\shell\open\command"; ValueType: string; ValueName: ""; ValueData: "{code:LinkCommand}"; Tasks: links
Root: HKCU; Subkey: "Software\Classes\sip"; ValueType: string; ValueName: ""; ValueData: "URL:sip ({#AppName})"; Tasks: links
Root: HKCU; Subkey: "Software\Classes\sip"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""; Tasks: links
Root: HKCU; Subkey: "Software\Classes\sip\shell\open\command"; ValueType: string; ValueName: ""; ValueData: "{code:LinkCommand}"; Tasks: links
Root: HKCU; Subkey: "Software\Classes\callto"; ValueType: string; ValueName: ""; ValueData: "URL:callto ({#AppName})"; Tasks: links
Root: HKCU; Subkey: "Software\Classes\callto"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""; Tasks: links
Root: HKCU; Subkey: "Software\Classes\callto\shell\open\command"; ValueType: string; ValueName: ""; ValueData: "{code:LinkCommand}"; Tasks: links
; Launch at login exactly as WindowsAutostart (softphone/desktop/autostart.py) writes it.
Root: HKCU; Subkey: "{#RunKey}"; ValueType: string; ValueName: "{#RunValue}"; ValueData: "{code:RunCommand}"; Tasks: autostart

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
var
  PurgeUserData: Boolean;

function HasParam(Name: String): Boolean;
begin
  Result := ExpandConstant('{param:' + Name + '}') <> '';
end;

{ The app's command line as Python's subprocess.list2cmdline writes it (the app compares the
  registry values with its own): the path, quoted when it holds a space. }
function AppCommand(): String;
begin
  Result := AddQuotes(ExpandConstant('{app}\{#AppExe}'));
end;

function LinkCommand(Param: String): String;
begin
  Result := AppCommand() + ' "%1"';
end;

function RunCommand(Param: String): String;
begin
  Result := AppCommand();
end;

{ The rules the app applies to the file (softphone/desktop/deployment.py), so a typo fails the
  deployment now rather than being ignored on every agent's computer later. }
function IsCompanyCode(S: String): Boolean;
var
  I: Integer;
  C: Char;
begin
  Result := (Length(S) >= 1) and (Length(S) <= 64);
  for I := 1 to Length(S) do
  begin
    C := S[I];
    if not (((C >= 'A') and (C <= 'Z')) or ((C >= 'a') and (C <= 'z')) or
            ((C >= '0') and (C <= '9')) or (C = '.') or (C = '_') or (C = '-')) then
      Result := False;
  end;
end;

function IsControlPlane(S: String): Boolean;
begin
  Result := (Pos('https://', Lowercase(S)) = 1) and (Length(S) > 8) and (Pos('?', S) = 0) and
            (Pos('#', S) = 0) and (Pos('@', S) = 0) and (Pos(' ', S) = 0);
end;

function InitializeSetup(): Boolean;
var
  Company, Plane: String;
begin
  Result := True;
  Company := ExpandConstant('{param:COMPANY}');
  Plane := ExpandConstant('{param:CONTROLPLANE}');
  if (Company <> '') and not IsCompanyCode(Company) then
  begin
    Log('/COMPANY= is not a company code; nothing installed');
    MsgBox('/COMPANY= must be a company code: 1 to 64 letters, digits, ".", "_" or "-".',
           mbError, MB_OK);
    Result := False;
  end
  else if (Plane <> '') and not IsControlPlane(Plane) then
  begin
    Log('/CONTROLPLANE= is not an https:// address; nothing installed');
    MsgBox('/CONTROLPLANE= must be an https:// address without a user name, "?" or "#".',
           mbError, MB_OK);
    Result := False;
  end
  else if HasParam('CAFILE') and (Plane = '') then
  begin
    Log('/CAFILE= without /CONTROLPLANE=; nothing installed');
    MsgBox('/CAFILE= goes with /CONTROLPLANE=.', mbError, MB_OK);
    Result := False;
  end;
end;

{ What this installer or the app registered, removed only while it still opens this app:
  another app may have taken a protocol since (WindowsLinkHandler.unregister does the same). }
procedure RemoveRegistration();
var
  Schemes: array[0..2] of String;
  Subkeys: TArrayOfString;
  Base, Value: String;
  I: Integer;
begin
  Schemes[0] := 'tel';
  Schemes[1] := 'sip';
  Schemes[2] := 'callto';
  for I := 0 to 2 do
  begin
    Base := 'Software\Classes\' + Schemes[I];
    if RegQueryStringValue(HKCU, Base + '\shell\open\command', '', Value) and
       (Value = LinkCommand('')) then
    begin
      RegDeleteKeyIncludingSubkeys(HKCU, Base + '\shell\open\command');
      RegDeleteKeyIfEmpty(HKCU, Base + '\shell\open');
      RegDeleteKeyIfEmpty(HKCU, Base + '\shell');
      if not RegGetSubkeyNames(HKCU, Base, Subkeys) or (GetArrayLength(Subkeys) = 0) then
        RegDeleteKeyIncludingSubkeys(HKCU, Base);
    end;
  end;
  if RegQueryStringValue(HKCU, '{#RunKey}', '{#RunValue}', Value) and
     (Value = RunCommand('')) then
    RegDeleteValue(HKCU, '{#RunKey}', '{#RunValue}');
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  ResultCode: Integer;
begin
  if CurUninstallStep = usUninstall then
  begin
    if UninstallSilent() then
      PurgeUserData := ExpandConstant('{param:PURGE|0}') = '1'
    else
      PurgeUserData := MsgBox('Also remove my call history and settings?' + #13#10#13#10 +
        'Choose No to keep them for a later installation of {#AppName}.',
        mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES;
    if PurgeUserData then
      { The saved sign-in is in the Windows Credential Manager, not in a folder: the app's own
        sign-out deletes it (while the program is still there). }
      Exec(ExpandConstant('{app}\{#CliExe}'), 'agent --signout', '', SW_HIDE,
           ewWaitUntilTerminated, ResultCode);
    RemoveRegistration();
  end
  else if (CurUninstallStep = usPostUninstall) and PurgeUserData then
  begin
    DelTree(ExpandConstant('{localappdata}\{#DataDirName}'), True, True, True);
    DelTree(ExpandConstant('{userappdata}\{#DataDirName}'), True, True, True);
  end;
end;
