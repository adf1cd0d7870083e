"""Anonymous statistics: counters of topics, languages, channels, campaign sources, escalations
and the optional questionnaire; the monthly report; retention (purge). See PRIVACY.md."""
