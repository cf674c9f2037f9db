SELECT * FROM "ml"."events"
