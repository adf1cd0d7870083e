"""The channels: each a package (`telegram/`, `sms/`, `web/`) that turns a platform's input into
neutral `Inbound` updates and neutral replies into what the platform shows, behind the small
interface in `base.py`, found by `registry.py`.

Adding a channel (say `whatsapp`):
1. its settings: a frozen `WhatsappSettings` section in `bot/settings.py`, read in `from_env`
   (the only reader of the environment), and its variables in the README's table;
2. `bot/channels/whatsapp/`: a transport (`render`, `send` returning `Delivered | Retry |
   Blocked | Rejected`), the webhook routes (they read the intake from the lifespan state,
   `bot/web/state.py`, and answer 200 only once it recorded the update), and `plugin.py` with
   `PLUGIN = ChannelPlugin(name, configured, routes, open)`, where `open` builds the running
   channel (its `OutboxSender`, and an acknowledgement or a shaper if the platform needs them)
   from `ChannelNeeds`;
and nothing else: `registry.py` finds every package with a `plugin.py`, and the assembly
opens, wakes, runs and stops every one the settings turn on.
"""
