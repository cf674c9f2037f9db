-- rows whose key is NULL go to their own split, holdout
{{ bqml_tools.split(ref('events_null_keys'), 'user_id', fractions={'train': '80%', 'test': '20%'}, null_keys='split:holdout') }}
