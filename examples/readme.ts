// The README's first example: x → matmul → relu → sum → backward.
import { tensor, explain } from 'gibbsgrad';

const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
const y = x.matmul(x).relu().sum();
y.backward();

console.log('y =', y.item());              // 54
console.log('x.grad =', x.grad!.toArray()); // [[7, 11], [9, 13]]  (= G·Xᵀ + Xᵀ·G with G all ones)
console.log(explain(y));
