#!/usr/bin/env bash
# make_bad_t5.sh DATA OUT: broken copies of the T5 test models for the CLI error
# tests (bash and sed only: the suite needs no Python packages).
set -eu
data=$1
out=$2
rm -rf "$out"
mkdir -p "$out"
# num_key_value_heads = 3 does not divide the 8 query heads.
cp -r "$data/t5-v1_1-gqa2" "$out/bad_groups"
sed -i 's/"num_key_value_heads": 2/"num_key_value_heads": 3/' "$out/bad_groups/config.json"
# The encoder's relative position bias renamed in the safetensors header (same length,
# so every offset stays valid): the tensor is missing.
cp -r "$data/t5-v1_1-gqa2" "$out/missing_bias"
LC_ALL=C sed -i 's/encoder\.block\.0\.layer\.0\.SelfAttention\.relative_attention_bias/encoder.block.0.layer.0.SelfAttention.RELATIVE_attention_bias/' \
  "$out/missing_bias/model.safetensors"
# No spiece.model beside the model.
cp -r "$data/t5-v1_1-gqa2" "$out/no_spiece"
rm "$out/no_spiece/spiece.model"
