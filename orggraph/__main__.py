"""python -m orggraph"""

from .cli import main

main()
