/* placeholder until the arch layer lands */ typedef int arch_stub_unused;
