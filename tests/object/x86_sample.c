/* Compiled for the host: an ELF object of the wrong machine for the BPF loader's tests. */
int bpfrt_x86_sample(int x) {
  return x * 2 + 1;
}
