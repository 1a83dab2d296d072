; GuruRMM Agent installer additions (electron-builder includes this file).
; Silent deployment with a policy file:  "GuruRMM Agent Setup.exe" /S /POLICY="C:\deploy\agent.json"
; copies the file to %ProgramData%\GuruRMM\agent.json, in a folder only SYSTEM and Administrators may
; change (users may read it: the agent runs as the signed-in user).
!include "FileFunc.nsh"
!include "LogicLib.nsh"

; A /POLICY that names no file stops the installer before anything is installed (exit code 2).
!macro customInit
  Push $R0
  Push $R1
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/POLICY=" $R1
  ${IfNot} ${Errors}
  ${AndIfNot} ${FileExists} "$R1"
    MessageBox MB_ICONSTOP "The policy file $R1 was not found. Nothing was installed." /SD IDOK
    SetErrorLevel 2
    Quit
  ${EndIf}
  Pop $R1
  Pop $R0
!macroend

!macro customInstall
  Push $R0
  Push $R1
  Push $R2
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/POLICY=" $R1
  ${IfNot} ${Errors}
    ReadEnvStr $R2 "PROGRAMDATA"
    CreateDirectory "$R2\GuruRMM"
    ; SIDs, so this works in every language: SYSTEM and Administrators full control, Users read.
    nsExec::ExecToLog '"$SYSDIR\icacls.exe" "$R2\GuruRMM" /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX'
    Pop $R0
    ClearErrors
    CopyFiles /SILENT "$R1" "$R2\GuruRMM\agent.json"
    ${If} ${Errors}
      MessageBox MB_ICONSTOP "The policy file could not be copied to $R2\GuruRMM\agent.json." /SD IDOK
      SetErrorLevel 2
    ${EndIf}
  ${EndIf}
  Pop $R2
  Pop $R1
  Pop $R0
!macroend
