"""Anonymous statistics: counters of topics, languages, channels, campaign sources, escalations
and the optional questionnaire; the monthly report; how long counters are kept. See PRIVACY.md."""
