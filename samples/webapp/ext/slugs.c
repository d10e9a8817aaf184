/* slugs: slugify(text) -> "lower-case-words", digest(text) -> 16 hex digits (FNV-1a 64). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>

static PyObject *slugify(PyObject *self, PyObject *args)
{
	const char *text;
	Py_ssize_t len;
	(void)self;
	if (!PyArg_ParseTuple(args, "s#", &text, &len))
		return NULL;
	char *out = PyMem_Malloc((size_t)len + 1);
	if (!out)
		return PyErr_NoMemory();
	Py_ssize_t n = 0;
	int dash = 0;
	for (Py_ssize_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (isalnum(c)) {
			if (dash && n > 0)
				out[n++] = '-';
			out[n++] = (char)tolower(c);
			dash = 0;
		} else {
			dash = 1;
		}
	}
	PyObject *result = PyUnicode_FromStringAndSize(out, n);
	PyMem_Free(out);
	return result;
}

static PyObject *digest(PyObject *self, PyObject *args)
{
	const char *text;
	Py_ssize_t len;
	(void)self;
	if (!PyArg_ParseTuple(args, "s#", &text, &len))
		return NULL;
	uint64_t hash = 0xcbf29ce484222325ULL;
	for (Py_ssize_t i = 0; i < len; i++) {
		hash ^= (unsigned char)text[i];
		hash *= 0x100000001b3ULL;
	}
	char hex[17];
	snprintf(hex, sizeof hex, "%016llx", (unsigned long long)hash);
	return PyUnicode_FromString(hex);
}

static PyMethodDef methods[] = {
	{"slugify", slugify, METH_VARARGS, "Lower-case words joined by dashes."},
	{"digest", digest, METH_VARARGS, "FNV-1a 64 of the UTF-8 text, 16 hex digits."},
	{NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "slugs", NULL, -1, methods};

PyMODINIT_FUNC PyInit_slugs(void)
{
	return PyModule_Create(&module);
}
