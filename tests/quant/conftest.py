import pytest


@pytest.fixture(scope="session")
def minilm():
    from quant.errors import QuantError
    from quant.hf_models import load_minilm

    try:
        return load_minilm()
    except QuantError as e:
        pytest.skip(str(e))
