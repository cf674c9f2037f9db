-- the train split only, the source's columns only: what a training model reads
{{ bqml_tools.split_filter(ref('events'), 'user_id', 'train', fractions='train=2/3,test=1/3') }}
