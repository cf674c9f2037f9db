-- a salted composite key, two splits, and a repeatable sample of a third of the keys
{{ bqml_tools.split(ref('events'), ['user_id', 'day'], fractions='train=0.7,test=0.3', salt='v1', sample='1/3', split_column='part') }}
