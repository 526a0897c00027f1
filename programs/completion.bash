# bash completion for llama-zip (installed as
# $(PREFIX)/share/bash-completion/completions/llama-zip by `make install`).
# Every long option of `llama-zip --help` is listed here (tests/python/test_packaging.py checks).

_llama_zip()
{
    local cur prev
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    local opts="-c --compress -d --decompress --test -i --interactive --info -l --list --list-models
        -m --model -f --compressed-format -w --window-overlap --n-ctx --n-gpu-layers --use-mlock
        -t -T --threads --batch --segment-size --streams --files -o --output --force -k --keep
        -v --verbose -q --quiet --progress -h --help -V --version"

    case $prev in
    -f | --compressed-format)
        COMPREPLY=($(compgen -W "binary base64" -- "$cur"))
        return ;;
    -o | --output)
        COMPREPLY=($(compgen -f -- "$cur"))
        return ;;
    -m | --model)
        # the known names (llama-zip --list-models), then GGUF files
        COMPREPLY=($(compgen -W "gemma-3-270m smollm2-135m" -- "$cur") $(compgen -f -X '!*.gguf' -- "$cur")
            $(compgen -d -- "$cur"))
        return ;;
    -w | --window-overlap | --n-ctx | --n-gpu-layers | -t | -T | --threads | --batch | --segment-size | --streams)
        COMPREPLY=()  # a number
        return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi
    # the model first (a name or *.gguf), files after --files or --list
    local w files=0 model_given=0
    for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
        [[ $w == --files || $w == -l || $w == --list ]] && files=1
        [[ $w == *.gguf || $w == -m || $w == --model* || $w == gemma-3-270m || $w == smollm2-135m ]] && model_given=1
    done
    if ((files)); then
        COMPREPLY=($(compgen -f -- "$cur"))
    elif ((!model_given)); then
        COMPREPLY=($(compgen -W "gemma-3-270m smollm2-135m" -- "$cur") $(compgen -f -X '!*.gguf' -- "$cur")
            $(compgen -d -- "$cur"))
    fi
}
complete -o filenames -F _llama_zip llama-zip
