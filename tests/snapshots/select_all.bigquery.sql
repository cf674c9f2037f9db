SELECT * FROM `my-project.ml.events`
