blt x1, x2, -3
