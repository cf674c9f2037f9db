-- the ROC curve of the scores, one row per logit bin (each an exact point of the curve)
{{ bqml_tools.curve(ref('predictions'), 'label', 'score', kind='roc') }}
