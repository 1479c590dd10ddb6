"""The extension module (pyproject.toml holds the rest): setuptools takes ext_modules here."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "mlpipelines_native",
            sources=["mlpipelines_native.c"],
            extra_compile_args=["-Wall", "-Wextra", "-Werror=implicit-function-declaration"],
        )
    ]
)
