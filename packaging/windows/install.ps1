<#
  Installs the Seatwatch seat agent on Windows from this folder (docs/agent.md,
  "Rollout"): "C:\Program Files\Seatwatch Agent" (Node runtime included), the
  configuration in C:\ProgramData\Seatwatch\agent.conf (kept if present), and two
  Task Scheduler tasks: the machine part at boot as LocalSystem, the session part
  at every logon in the operator's session. Installing over an older version keeps
  the seat's state (C:\ProgramData\Seatwatch\Agent).
  NOT RUN on a real Windows machine yet (docs/agent.md).
    powershell -ExecutionPolicy Bypass -File install.ps1 [-Server URL -Token TOKEN [-Seat NAME]]
#>
param([string]$Server = '', [string]$Token = '', [string]$Seat = '')
$ErrorActionPreference = 'Stop'
$here = Split-Path -Parent $MyInvocation.MyCommand.Path
$target = Join-Path $env:ProgramFiles 'Seatwatch Agent'
$config = Join-Path $env:ProgramData 'Seatwatch'

foreach ($task in 'Agent service', 'Agent session') {
  schtasks.exe /End /TN "\Seatwatch\$task" 2>$null | Out-Null
}
# The running agent holds its files open; give it the 3 s it takes to say "stopping".
Start-Sleep -Seconds 4

$staging = "$target.new"
if (Test-Path $staging) { Remove-Item -Recurse -Force $staging }
New-Item -ItemType Directory -Force $staging | Out-Null
foreach ($part in 'app', 'node', 'bin', 'VERSION', 'uninstall.ps1') {
  Copy-Item -Recurse -Force (Join-Path $here $part) $staging
}
if (Test-Path $target) { Remove-Item -Recurse -Force $target }
Move-Item $staging $target

New-Item -ItemType Directory -Force $config | Out-Null
# The folder of each operator's channel secret (local-channel/user-pipe.windows.ts): made here, elevated
# (so owned by Administrators), so that no operator can make it first and keep, as its owner, the right
# to change its ACL.
$sessions = Join-Path $config 'sessions'
if (Test-Path $sessions) { Remove-Item -Recurse -Force $sessions }
New-Item -ItemType Directory -Force $sessions | Out-Null
icacls.exe $sessions /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' '*S-1-5-32-545:(X)' | Out-Null
$conf = Join-Path $config 'agent.conf'
if (-not (Test-Path $conf)) {
  Copy-Item (Join-Path $here 'agent.conf') $conf
  # Administrators and SYSTEM only: the file may hold an enrollment token.
  icacls.exe $conf /inheritance:r /grant:r '*S-1-5-18:F' '*S-1-5-32-544:F' | Out-Null
}
function Set-Conf([string]$Key, [string]$Value) {
  if ($Value -eq '') { return }
  $lines = @(Get-Content $conf | Where-Object { $_ -notmatch "^#?\s*$Key\s*=" })
  Set-Content -Path $conf -Value ($lines + "$Key = $Value")
}
Set-Conf 'server' $Server
Set-Conf 'token' $Token
Set-Conf 'seat' $Seat

schtasks.exe /Create /F /XML (Join-Path $here 'service\seatwatch-agent-service.task.xml') /TN '\Seatwatch\Agent service' | Out-Null
schtasks.exe /Create /F /XML (Join-Path $here 'service\seatwatch-agent-session.task.xml') /TN '\Seatwatch\Agent session' | Out-Null
schtasks.exe /Run /TN '\Seatwatch\Agent service' | Out-Null
Write-Output "Seatwatch agent $(Get-Content (Join-Path $target 'VERSION')) installed."
