// Households counted by the one area they are located in (h.home, kept by set_home); the row with a null
// area counts those located nowhere or in several areas (coverage_multi counts the latter per area).
// The caller sums the rows for the totals and carries them up the territory through area_ancestry.
// returns: area, households, people, vulnerable
MATCH (h:Household)
RETURN h.home AS area, count(h) AS households, sum(coalesce(h.people, 1)) AS people, sum(CASE WHEN h.vulnerable THEN 1 ELSE 0 END) AS vulnerable
