<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About VICIfast Desktop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VICIfast Desktop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Version {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Built on {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your sign-in is kept in this computer&apos;s keychain, and your call history is stored encrypted on this computer. Diagnostics are only gathered when you export them, and only you send them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Diagnostics…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Go to Settings → Diagnostics to export a zip for support</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign in first: the diagnostics export is under Settings</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AdvancedSection</name>
    <message>
        <source>Advanced</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>S&amp;can QR…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan a QR code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Set up a SIP account from a QR code and its PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SIP account:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>https://vicifast.com (default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Custom control plane address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>C&amp;ontrol plane:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System certificates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CA certificate file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a CA certificate file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CA &amp;file:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transport:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Local address:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Server:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SIP library:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SIP over TLS:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>pjsua2 %1 on %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Available (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not in this build (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Demo mode: the bundled emulator</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Certificates (*.pem *.crt *.cer);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>Number or SIP address ({key})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign out? Your saved sign-in and call history are deleted.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Demo: calls go straight to the demo lines</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You are signed in. Sign out first to sign in with another code.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign in first. A SIP account from a QR code replaces the one your sign-in provides, until you sign out or quit.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Using the SIP account {extension} at {domain}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Provisioning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dial pad</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search recent calls</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ring me like VICIdial</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ring me and give up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call {target}?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign in to call {target}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign in first: the demo rings the phone of the agent who is signed in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VICIfast Desktop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The SIP trace starts with the next start of VICIfast Desktop.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>BatchTab</name>
    <message>
        <source>Kind of codes in the batch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign-in codes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SIP account codes (with PINs)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Default for rows without one</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Codes valid for, days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sheet title</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. Night shift, March</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV columns</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Kind:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Valid for:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sheet &amp;title:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Columns:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Choose CSV…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a CSV file of agents</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel making the batch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Batch progress</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Batch report</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rows of the CSV file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Extension</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Selected agent&apos;s code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save PDF &amp;sheet…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the printable sheet of codes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save PIN &amp;list…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the PIN list, apart from the sheet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SIP &amp;server:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Company &amp;code:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>for rows without a server column</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>for rows without a company column</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No expiry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the agents&apos; CSV file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled; nothing was made.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The CSV file could not be read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a CSV file: one agent per row, with a header row.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ready</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n code(s) ready</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>. Save the sheet and the PIN list to separate files</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n row(s) skipped (in red below):</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>…and %n more.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>%1 (extension %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (no extension)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>extension %1 (no name)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no name or extension</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Line %1, %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Writing the sheet…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>sheet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the PIN list to another file than the sheet: they go apart.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Writing the PIN list…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PIN list</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>There are no codes to save yet: choose a CSV file of agents first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not write %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved the %1 to %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the sheet of QR codes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the PIN list (keep it apart from the sheet)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PDF (*.pdf);;CSV (*.csv)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CallActions</name>
    <message>
        <source>Answer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Decline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hang up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keypad</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transfer…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redial</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unmute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CallBar</name>
    <message>
        <source>Call bar</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Caller</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call duration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call state</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unmute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hang up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the call in the phone window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown caller</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>On hold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Muted</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CallDetails</name>
    <message>
        <source>Call details</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a call to see its details.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Direction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Result</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Started</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Answered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ended</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Talk time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Account</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call quality</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Incoming</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Outgoing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not answered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>automatically</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>by hand</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Good</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fair</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Poor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (MOS %2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your signed-in account</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ended: the computer went to sleep</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Missed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Declined by you</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Busy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Declined</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Number not found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No answer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not allowed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CallFilters</name>
    <message>
        <source>&amp;All</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show all calls</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Incoming</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show incoming calls only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Outgoing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show outgoing calls only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A&amp;nswered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show answered calls only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Missed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show missed calls only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>D&amp;eclined</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show calls you declined only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show calls that failed only</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CallMark</name>
    <message>
        <source>In call {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Calling…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Incoming call</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CallPage</name>
    <message>
        <source>Call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Caller name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Caller number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call state</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call duration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call quality</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No microphone: the other party cannot hear you. Check Settings → Sound.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Microphone warning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keypad</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transfer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tones sent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keypad (DTMF)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Waiting caller</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Answer &amp; hold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Decline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transfer to</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transfer to: number or SIP address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transfer now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Blind transfer: send the caller there at once</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Talk first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Attended transfer: hold the caller, call the number, then complete (Enter)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transfer status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Complete transfer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hang up the consultation call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Other call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Switch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hold this call and go back to the other one</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Answer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Esc or {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hang up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hang up: {0} from anywhere in the window, Esc on this screen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sent: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown caller</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unmute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call waiting: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Talking to {0}; {1} waits on hold.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the transfer target</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the caller</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>good</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>fair</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>poor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call quality: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MOS {0:.1f} (E-model estimate) · {1} · lost {2:.1f} % · jitter {3:.0f} ms · round trip {4:.0f} ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>on hold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Other call: {0} · {1}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Incoming call · answering automatically in {0} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Direct call from {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Incoming call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Calling…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ringing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call ended</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>On hold (both sides)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>On hold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Held by the other side</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connected · answered automatically</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connected</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CallTracker</name>
    <message>
        <source>Transferred.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transfer failed: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transferring… {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the caller</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call with {0} ended ({1}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Missed call from {0}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The line is busy.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>That number does not exist ({0}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No answer.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The call was refused ({0}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The call failed: {0} ({1}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>error</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CallsSection</name>
    <message>
        <source>Calls</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Auto-answer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>As your company&apos;s server sets it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>When the server asks (VICIdial)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Always, at once</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Always, after a delay</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Auto-answer delay in seconds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Auto-answer:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Delay:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accept &amp;direct calls from other addresses</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Accept direct calls from other addresses</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Calls that do not come through your company&apos;s SIP server are refused unless this is on. When it is on they ring, marked as direct calls, and are never answered automatically.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bring the &amp;window to the front when a call rings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bring the window to the front when a call rings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The phone window opens on top, on the Phone page, and takes the keyboard, even when it was in the tray. Off: only the small call window appears.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show a small call bar on top of other windows durin&amp;g a call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show a small call bar on top of other windows during a call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>While a call is up and the phone window is not in front, a small bar shows who you are talking to and the time, with Mute and Hang up.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Answer and hang up from an&amp;y app ({0})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Answer and hang up from any app</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The keys answer the call that rings and hang up the call you are on, even while another app (such as the agent screen in your browser) has the keyboard. Other apps then no longer get these keys.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refused since start: {0} call(s) or request(s) from addresses that are not your company&apos;s SIP server, the last from {1}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your company&apos;s server chooses how calls are answered.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Calls are answered when the server asks, after the time it asks for.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Calls ring until you answer them.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Calls are answered at once, whatever delay the server asks for.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Calls are answered after {0} s, even when the server asks for sooner.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CameraTab</name>
    <message>
        <source>Camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>C&amp;amera:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start or stop the camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The camera is off.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera preview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hold the code steady in front of the camera. The camera turns off as soon as the code is read; no picture is saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Looking for cameras…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No camera found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No camera found.
Plug one in and reopen this window, or scan from an
image file, the screen or the clipboard.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting the camera…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CommandRunner</name>
    <message>
        <source>something went wrong; try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{0}: {1}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ConfirmPage</name>
    <message>
        <source>&amp;Apply</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Apply this code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Back to scanning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This code fills in the sign-in form. You still type your password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Company code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Control plane</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>It points the app at a control plane other than VICIfast&apos;s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Valid until</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The phone will register this account with the server below.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>default</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Server host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Port</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Extension</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transport</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Media encryption (SRTP)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Display name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Code valid until</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DeviceLists</name>
    <message>
        <source>The sound device stopped (%1). Reconnecting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Your chosen device is not connected. Using the system default (%1) until it is back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>system default</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The ringer device stopped (%1). Ringing on the speaker until it is back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Looking for devices…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The sound devices could not be listed (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No microphone found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No speaker found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>System default</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Same as speaker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 (not connected)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No microphone is connected. Plug in a headset or microphone, then click Refresh devices.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is not connected. Plug it in, then click Refresh devices. Or choose another microphone.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No speaker is connected. Plug in a headset or speakers, then click Refresh devices.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is not connected. Plug it in, then click Refresh devices. Or choose another speaker.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 is not connected: calls ring on the speaker until it is back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open the microphone and watch its level</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>That device could not be used (%1). Keeping the previous one.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The ringer could not be opened (%1). Ringing on the speaker.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DiagnosticsSection</name>
    <message>
        <source>Diagnostics</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Record a SIP &amp;trace (passwords are removed)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Record a SIP trace</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Export diagnostics…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export diagnostics</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save a zip with version information, settings, the SIP trace and how the last calls sounded, for support</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Include p&amp;hone numbers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Include phone numbers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Leave callers&apos; numbers and names in the exported SIP trace. Off: only the last two digits of each number and the initials of each name are kept.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>On this computer a SIP trace you turn on starts with the next start of VICIfast Phone: this build&apos;s SIP library cannot start it while it runs. Turning it off works at once.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Zip archives (*.zip)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved to %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Diagnostics could not be saved: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DialPage</name>
    <message>
        <source>Number to call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Number or SIP address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redial</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redial the last number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call the number (Enter)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recent numbers</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type a number to call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redial {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call {0} again ({1})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No number dialled yet</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Dialpad</name>
    <message>
        <source>Dialpad</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key 0 (hold for +)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DialpadButton</name>
    <message>
        <source>Key {0}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EventLog</name>
    <message>
        <source>Registered over {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Registering…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Registration failed ({0}); retrying in {1} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no answer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not registered: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unregistered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The server asks for an authenticator code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Getting the phone settings from the company&apos;s server</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Renewing the sign-in ({0})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Renewing the sign-in failed; trying again in {0} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signed out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signed out: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>this computer&apos;s address changed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the registration failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the computer woke up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>on schedule</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Firewall lease ended</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Firewall: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, encrypted (SRTP)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call audio: {0}{1}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Incoming call ended after {0} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Outgoing call ended after {0} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Incoming call not answered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Outgoing call not connected</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refused {0} request(s) not from your company&apos;s server: {1}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Turned away {0} call(s) that came in at once</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The computer went to sleep</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The computer woke up: registering again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Phone engine problem: {0}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>EventLogDialog</name>
    <message>
        <source>Connection log</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the phone did since it started: sign-in, registration, calls&apos; results (never their numbers). Kept only while the app runs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing has happened yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>GlobalHotkeys</name>
    <message>
        <source>macOS does not let apps take keys from other apps.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Wayland does not let apps take keys from other apps; use your desktop&apos;s own keyboard shortcuts, or sign in to an X11 session.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This needs an X11 desktop, and none was found.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This needs the libxcb library, which is not installed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This system does not let apps take keys from other apps.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{0}: already used by another app, so it works only in this window. Free it in that app (or your desktop&apos;s shortcuts), then tick this again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The keys could not be set up: the window system did not answer.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>HistoryModel</name>
    <message>
        <source>Your earlier call history could not be opened any more (its key was gone). It was kept, renamed, in its folder; new calls are recorded as usual.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>IdentityLine</name>
    <message>
        <source>ext {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Registration status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signed in as</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>IncomingCallWindow</name>
    <message>
        <source>Unknown caller</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Incoming call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Incoming call from {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Direct call from {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call waiting</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Caller name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Caller number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Auto-answer countdown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Answer &amp; hold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Answer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Decline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Answering…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not answer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Declining…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not decline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Answering automatically in {0} s</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LevelMeter</name>
    <message>
        <source>silent</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n dB</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Phone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recents</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Provisioning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The {0} page could not be opened.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Phone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Go</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;About VICIfast Desktop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Connection &amp;log…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VICIfast Desktop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{0} — {1}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>● {0} — {1}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>NumberField</name>
    <message>
        <source>Clear</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>OneAgentTab</name>
    <message>
        <source>Kind of code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign-in code (company, user name)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SIP account code (encrypted, with a PIN)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Company code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. acme</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>User name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optional</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Control plane URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>optional, e.g. https://…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign-in code valid for, days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No expiry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Company code:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;User name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Control &amp;plane:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Valid for:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SIP server host</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. sip.example.com</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SIP port</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Default for the transport</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transport</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Extension</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SIP password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Display name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Media encryption (SRTP)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>mandatory</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SIP account code valid for, days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Server host:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>P&amp;ort:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Transport:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Extension:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SIP pass&amp;word:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Display name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>S&amp;RTP:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the code still needs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>QR code preview</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PIN for this SIP account code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy P&amp;IN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy the PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Give the agent this PIN apart from the code (say it, or send it another way). It is shown only here, for this agent, and is not saved: note it now.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save &amp;PNG…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the code as PNG</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save S&amp;VG…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the code as SVG</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cop&amp;y image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy the code image to the clipboard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Next agent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clear the form for the next agent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Kind:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Encrypting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the company code to make a sign-in code.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the server host, extension and SIP password to make the code.</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Ready: %n character(s) in the code.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>The code appears here
as you type.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PNG image (*.png)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SVG image (*.svg)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the QR code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved %1.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PhoneView</name>
    <message>
        <source>Phone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sound device warning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Phone message</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No microphone or speaker found. Check Settings → Sound.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No microphone found: callers would not hear you. Check Settings → Sound.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No speaker found: you would not hear callers. Check Settings → Sound.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter a number or a SIP address to call.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not answer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not decline</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not hang up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not change mute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not send the tone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the number to transfer to.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Transfer failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not put the call on hold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not resume</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PinPage</name>
    <message>
        <source>Enter the PIN your supervisor gave you with it (6 to 12 digits). The PIN never comes in the QR code itself.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;PIN:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PIN problem</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Unlock</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unlock the code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Back to scanning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking the PIN…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PIN has %1 to %2 digits. Type all of it, then press Enter.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ProvisioningView</name>
    <message>
        <source>Required: {0}. Optional: {1}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Provisioning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Provisioning: one agent or a batch</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;One agent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Batch from CSV</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>QrScanDialog</name>
    <message>
        <source>Scan a QR code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The camera is off.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the image…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>That picture is empty or too small to hold a QR code.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading the picture…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The clipboard holds text that is not a VICIfast code (vicifast://…).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The clipboard holds no picture or code. Copy the QR code first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Capturing the screen…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Looking for a QR code…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No VICIfast code was seen. Try again closer and steadier.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This desktop does not let apps capture the screen (Wayland). Take a screenshot and use Image file or Clipboard instead.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Screen selection cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open a picture of the QR code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Images (*.png *.jpg *.jpeg *.bmp *.webp *.gif *.tif *.tiff);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No VICIfast QR code found in that picture. Make sure the whole code is in it, sharp, with a white margin around it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>That picture could not be read.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This code could not be opened. Ask your supervisor for a new one.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RecentsProxy</name>
    <message>
        <source>When</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Result</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Today, %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Yesterday, %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Answered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Missed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Declined</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ended: the computer went to sleep</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>(auto)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Incoming call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Outgoing call</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RecentsView</name>
    <message>
        <source>Recent calls</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search names and numbers (Ctrl+F)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search recent calls</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clear the search</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call list</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Call back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call back the selected number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Call back the selected number (Ctrl+Enter)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the selected call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete the selected call (Del)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>C&amp;lear all…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clear all recent calls</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete every call in Recents (Ctrl+Shift+Del)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>E&amp;xport…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export the calls shown as CSV</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save the calls shown (with the search and filter) as a CSV file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The call could not be deleted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clear all recent calls?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Delete every call in Recents?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The history on this computer is erased. This cannot be undone.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clear all</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep the recent calls</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recents could not be cleared</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Export recent calls</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 call(s) exported to %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The calls could not be exported: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 call</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n calls</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>talk time %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 · %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Calls shown and their talk time</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No calls match.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No calls yet.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RegionSelector</name>
    <message>
        <source>Select the QR code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Screen region selector</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drag a rectangle around the QR code. Enter uses the whole screen.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drag around the QR code · Enter: the whole screen · Esc: cancel</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RingtonePreview</name>
    <message>
        <source>Ringtone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Warble</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classic double ring</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Soft chime</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>None (silent)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Play</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Play the ringtone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hear the ringtone for a few seconds where calls ring; click again to stop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>R&amp;ingtone:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Stop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop the ringtone</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ScanSourcesPage</name>
    <message>
        <source>Where to scan from</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Image file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Screen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>C&amp;lipboard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open a picture or screenshot of the code (PNG, JPEG, BMP, WebP…).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose an &amp;image…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose an image file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>For a code on this screen, e.g. one your supervisor sent in a chat: show it, then select it. This window hides while the screen is captured; the capture is not saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a &amp;region…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a screen region</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Whole screen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan the whole screen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy the code&apos;s picture, or its vicifast:// link, then read the clipboard (or press Ctrl+V anywhere in this window).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Read the clipboard</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read the clipboard</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source>Settings could not be saved: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettingsView</name>
    <message>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SignInView</name>
    <message>
        <source>Sign in to VICIfast</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use the company code from your administrator and your VICIdial login.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>e.g. ACME</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VICIdial username</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VICIdial password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>6-digit code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Company code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Username</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Authenticator code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Advanced</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Make QR codes for agents…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>For supervisors: sign-in codes for your agents, without signing in here</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan QR code…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fill in the company code from a sign-in QR code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use a custom control plane</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>https://control.example.com</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CA certificate (PEM), if not public</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>CA certificate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Certificates (*.pem *.crt);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Verify</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hide</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hide password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show password</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Company code: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Username: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Control plane: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fill in the sign-in form with this code?</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter your password to sign in.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the code from your authenticator app.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter your company code.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter your username.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter your password.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter the custom control plane&apos;s address, or untick it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signing you back in…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Getting your phone settings from your company&apos;s server…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>You can try signing in again now.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Can&apos;t reach the server. Check your internet connection.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrying in {0} s…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sign in (wait {0} s)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SoundSection</name>
    <message>
        <source>Sound</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sound device notice</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sound system</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PortAudio (default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Qt Multimedia</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>S&amp;ound system:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Microphone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Microphone level</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Test microphone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Test microphone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open the microphone and watch its level</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Microphone warning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Microphone:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Microphone volume</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How loud the other side hears you</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Microphone &amp;volume:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Input level:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Speaker</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Speaker level</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Speaker:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Speaker warning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Speaker volume</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How loud calls and tones play; above 100 % loud voices may distort</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Spea&amp;ker volume:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Output level:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ringer device</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Ring on:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ringer warning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ringer notice</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Re&amp;fresh devices</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Refresh the device lists</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 value</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Qt Multimedia uses the platform&apos;s native audio (WASAPI, CoreAudio, PulseAudio): try it where PortAudio&apos;s devices misbehave.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Takes effect at the next start of VICIfast Desktop.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No microphone found, so there is nothing to test. Connect one, then click Refresh devices.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The microphone could not be opened (%1).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No speaker found, so the ringtone cannot play. Connect one, then click Refresh devices.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The ringer could not be reopened.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>StartupSection</name>
    <message>
        <source>Appearance and start-up</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Colour scheme</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>As the system</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Light</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Light or dark windows, or as your desktop has them</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Colo&amp;ur scheme:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start minimised to the tra&amp;y</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start minimised to the tray</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Launch at login</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Launch at login</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open sip:, tel: and callto: li&amp;nks with VICIfast Desktop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open sip:, tel: and callto: links with VICIfast Desktop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Phone numbers and SIP addresses you click in a browser or your CRM open here; you confirm before a call is dialled</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>StatusHeader</name>
    <message>
        <source>Registration status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Registration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Auto-answer</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not registered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Registered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Registering…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrying in {0} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrying…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not registered: {0}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Auto-answer: off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Auto-answer: on</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Auto-answer: after {0} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Auto-answer: when the server asks</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>StatusStrip</name>
    <message>
        <source>Signed out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Registering…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Can&apos;t reach the server, retrying in {0} s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Renewing sign-in…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter your authenticator code to stay signed in</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <source>Sign out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VICIfast Desktop is still running here, so you keep receiving calls. Use Quit in this menu to close it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VICIfast Desktop: registered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VICIfast Desktop: not registered</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VICIfast Desktop: in a call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VICIfast Desktop: missed calls</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show VICIfast Desktop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>VICIfast Desktop</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Incoming call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Missed call</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{0} ({1} missed)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unknown caller</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>VoiceSection</name>
    <message>
        <source>Voice processing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel &amp;echo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel echo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keeps the caller from hearing their own voice back when your speakers are loud or your microphone is close to them (laptops, desk speakers).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reduce background &amp;noise</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reduce background noise</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Takes steady noise (fans, air conditioning, a busy floor) out of your voice.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adjust the microphone &amp;level automatically</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Adjust the microphone level automatically</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keeps your voice at an even level whether you lean in or sit back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Headset mode (no echo cancellation)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Headset mode, no echo cancellation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A headset has no echo to cancel: this sends your microphone as it is, apart from the noise and level switches above.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Voice processing is not available with this sound setup.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Voice processing could not start on this computer: %1.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Headset mode: echo cancellation is off.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
