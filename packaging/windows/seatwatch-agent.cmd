@echo off
rem Runs the Seatwatch seat agent with the Node runtime shipped beside it.
"%~dp0..\node\node.exe" "%~dp0..\app\dist\main.js" %*
