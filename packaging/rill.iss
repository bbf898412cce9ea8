; Inno Setup script: a per-user Windows installer for the one-folder build.
; UNVERIFIED: written on Linux, never compiled or run (no Windows here). On Windows:
;   packaging\build.sh's steps by hand (python packaging\render_icons.py, then
;   pyinstaller --noconfirm --distpath dist packaging\rill.spec), then
;   iscc packaging\rill.iss   ->  dist\installer\Rill-Setup-0.1.0.exe
#define AppName "Rill"
#define AppVersion "0.1.0"
#define Root ".."

[Setup]
; A fixed AppId keeps upgrades and uninstall pointing at the same install.
AppId={{6C2B0F0E-4E1D-4B8A-9E57-2F1D7C3A9B41}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Rill
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
; Per user: no administrator rights needed, like the Linux desktop entry.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#Root}\dist\installer
OutputBaseFilename=Rill-Setup-{#AppVersion}
SetupIconFile={#Root}\build\icons\rill.ico
UninstallDisplayIcon={app}\rill.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole PyInstaller one-folder output (rill.exe, _internal\ with Qt, llama.cpp and the model).
Source: "{#Root}\dist\rill\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\rill.exe"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\rill.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\rill.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
