-- the binary metrics of the scores (one row; AUC exact): the CLI's bqml-tools evaluate --task binary
{{ bqml_tools.evaluate(ref('predictions'), 'binary', 'label', score='score') }}
