// Fragment: the edge {var} is valid on the day: since <= $day <= until, either end open when not set
// (since is '' and until null when open). Included in a statement as {valid:VAR}.
// $day: ISO date
({var}.since = '' OR {var}.since <= $day) AND ({var}.until IS NULL OR $day <= {var}.until)
