-- the multiclass metrics of the predicted classes, one row per segment, weighted by w
{{ bqml_tools.evaluate(ref('predictions'), 'multiclass', 'cls', prediction='cls_hat', by='segment', weight='w') }}
