<#
  Removes the Seatwatch seat agent from Windows. Keeps the seat's state and
  agent.conf (C:\ProgramData\Seatwatch) unless -Purge is given.
  NOT RUN on a real Windows machine yet (docs/agent.md).
    powershell -ExecutionPolicy Bypass -File "C:\Program Files\Seatwatch Agent\uninstall.ps1" [-Purge]
#>
param([switch]$Purge)
$ErrorActionPreference = 'Stop'
foreach ($task in 'Agent service', 'Agent session') {
  schtasks.exe /End /TN "\Seatwatch\$task" 2>$null | Out-Null
  schtasks.exe /Delete /F /TN "\Seatwatch\$task" 2>$null | Out-Null
}
Start-Sleep -Seconds 4
Remove-Item -Recurse -Force (Join-Path $env:ProgramFiles 'Seatwatch Agent') -ErrorAction SilentlyContinue
if ($Purge) {
  Remove-Item -Recurse -Force (Join-Path $env:ProgramData 'Seatwatch') -ErrorAction SilentlyContinue
}
Write-Output 'Seatwatch agent removed.'
