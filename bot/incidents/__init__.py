"""The incident workflow, platform-neutral: open, run, skip, answer,
escalate, resolve. It decides and records (store, audit, work claims) and
tells a presenter (bot.incidents.presenter) what to show; Slack is one."""
