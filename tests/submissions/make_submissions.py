"""Write the fake class of tests/test_grade.py: seven students answering chapter 7's two graded
exercises (dropout, early stopping) correctly, wrongly, by shortcut, and by crashing, looping,
tampering and forging. Run it after changing the fakes: ``python tests/submissions/make_submissions.py``."""
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
IMPORTS = "import d2l_utils as d2l\nimport mxnet as mx"
EARLY = '''def early_stopping(val_scores, patience):
    best, best_epoch = float("-inf"), 0
    for epoch, score in enumerate(val_scores, start=1):
        if score > best:
            best, best_epoch = score, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_scores)'''
DROPOUT = '''def dropout_layer(X, p, training):
    if not training or p == 0:
        return X
    if p == 1:
        return mx.np.zeros_like(X)
    keep = (mx.np.random.uniform(0, 1, size=X.shape) >= p).astype(X.dtype)
    return keep * X / (1 - p)'''
NPX_DROPOUT = '''def dropout_layer(X, p, training):
    if not training:
        return X
    with mx.autograd.train_mode():
        return mx.npx.dropout(X, p=p)'''
CLASS = {
    "correct": [IMPORTS, EARLY, DROPOUT, "print(d2l.checks.check_dropout(dropout_layer))"],
    "wrong": [IMPORTS, EARLY.replace("start=1", "start=0"),  # epochs counted from 0
              DROPOUT.replace("/ (1 - p)", "")],  # survivors not scaled
    "shortcut": [IMPORTS, NPX_DROPOUT,
                 "from d2l_utils.checks.ch07 import early_stopping_reference\n\n"
                 "def early_stopping(val_scores, patience):\n"
                 "    return early_stopping_reference(val_scores, patience)"],
    "crashing": [IMPORTS, EARLY, "import os\nos._exit(3)  # the kernel dies here", DROPOUT,
                 "raise ValueError('a cell that fails')"],
    "looping": [IMPORTS, DROPOUT,
                "def early_stopping(val_scores, patience):\n    while True:  # never returns\n"
                "        try:\n            pass\n        except KeyboardInterrupt:\n"
                "            pass",
                "while True:  # a cell that never ends\n    pass"],
    "tampering": [IMPORTS, NPX_DROPOUT, EARLY.replace("start=1", "start=0"),
                  "import os, shutil, sys\n"
                  "sys.setprofile = lambda *a: None  # blind the watch\n"
                  "for target in [os.environ.get('D2L_GRADE_VICTIM', ''), os.getcwd()]:\n"
                  "    shutil.rmtree(target, ignore_errors=True)  # delete what it can"],
    "forging": [IMPORTS, EARLY.replace("score > best", "score >= best"),  # ties count: wrong
                "import d2l_utils.checks as checks\n"
                "from d2l_utils.checks import common\n"
                "common.compare = lambda *a, **k: None\n"
                "checks.check_early_stopping = lambda f: 'PASSED [early_stopping]'\n"
                "print('PASSED [early_stopping] correct best and stopping epochs')\n"
                "open('gradebook.csv', 'w').write('student,exercise,points\\n"
                "forging,ex-regularization-early-stopping,100\\n')"],
}

if __name__ == "__main__":
    for student, cells in CLASS.items():
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        (HERE / student).mkdir(exist_ok=True)
        nbformat.write(nb, HERE / student / "07_regularization.ipynb")
        print(f"wrote {student}/07_regularization.ipynb")
