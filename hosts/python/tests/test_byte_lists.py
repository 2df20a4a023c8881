"""The bulk `list<u8>` conversions against the wheel's own, through a component that echoes
its argument (both directions of the conversion)."""

import unittest

from wasmtime import Engine, Store
from wasmtime.component import Component, Linker

from smtpclient import byte_lists

ECHO = """
(component
  (core module $m
    (memory (export "mem") 200)
    (global $base (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32)
      (local $ret i32)
      global.get $base
      local.set $ret
      global.get $base
      local.get 3
      i32.add
      global.set $base
      local.get $ret)
    (func (export "echo") (param i32 i32) (result i32)
      (i32.store (i32.const 0) (local.get 0))
      (i32.store (i32.const 4) (local.get 1))
      i32.const 0)
    (func (export "count") (param i32 i32) (result i32) local.get 1)
  )
  (core instance $i (instantiate $m))
  (func (export "echo") (param "x" (list u8)) (result (list u8))
    (canon lift (core func $i "echo") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
  (func (export "count") (param "x" (list u16)) (result u32)
    (canon lift (core func $i "count") (memory (core memory $i "mem")) (realloc (core func $i "realloc"))))
)
"""


class ByteListsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.engine = Engine()
        cls.component = Component(cls.engine, ECHO)

    def tearDown(self) -> None:
        byte_lists.install()

    def call(self, name, value):
        store = Store(self.engine)
        func = Linker(self.engine).instantiate(store, self.component).get_func(store, name)
        result = func(store, value)
        func.post_return(store)
        return result

    def test_same_results_as_the_wheel(self) -> None:
        samples = [b"", b"\x00", bytes(range(256)), bytes(range(256)) * 300 + b"tail"]
        self.assertTrue(byte_lists.install())
        fast = [self.call("echo", sample) for sample in samples]
        byte_lists.uninstall()
        slow = [self.call("echo", sample) for sample in samples]
        self.assertEqual(fast, samples)
        self.assertEqual(slow, samples)

    def test_other_lists_keep_the_wheels_conversion(self) -> None:
        self.assertTrue(byte_lists.install())
        self.assertEqual(self.call("count", [1, 2, 65535]), 3)
        with self.assertRaises(TypeError):
            self.call("echo", [1, 2, 3])


if __name__ == "__main__":
    unittest.main()
